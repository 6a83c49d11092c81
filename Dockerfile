# Chartbusters: one image for the web server, the Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=chartbusters.settings \
    DATA_DIR=/data \
    STATIC_ROOT=/app/staticfiles

# FluidSynth renders audio previews with the General MIDI SoundFont pretty_midi ships.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fluidsynth libsndfile1 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The CPU build of torch, pinned, from PyTorch's CPU index: never the multi-GB CUDA build.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY chartbusters ./chartbusters
COPY music ./music
COPY generation ./generation
COPY evaluation ./evaluation
COPY templates ./templates
COPY static ./static
COPY manage.py ./
RUN pip install --no-cache-dir -e . \
 && DEBUG=True DATA_DIR=/tmp/build python manage.py collectstatic --noinput \
 && useradd --create-home --uid 1000 chartbusters \
 && mkdir -p /data && chown chartbusters /data

USER chartbusters
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
CMD ["gunicorn", "chartbusters.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
