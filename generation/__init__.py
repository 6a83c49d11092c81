"""Generators: the AR-CNN (note edits), the GAN (accompaniment), the Transformer (extension).

A library: it never imports Django. The studio calls :func:`generate` (in
``generation.registry``) from a Celery task; ``python -m generation`` and
``python -m generation.train`` are its command lines. Importing this package does not
import torch; running a technique does.
"""

from generation.errors import (
    GenerationError,
    GenerationInputError,
    GenerationParamError,
    UnknownTechniqueError,
)
from generation.params import Param, ParamSpec
from generation.registry import (
    MAX_BARS,
    TECHNIQUES,
    Technique,
    check_input,
    generate,
    get_technique,
)

__all__ = [
    "MAX_BARS",
    "TECHNIQUES",
    "GenerationError",
    "GenerationInputError",
    "GenerationParamError",
    "Param",
    "ParamSpec",
    "Technique",
    "UnknownTechniqueError",
    "check_input",
    "generate",
    "get_technique",
]
