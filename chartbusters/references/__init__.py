"""Host-built judges (issue 21): reference sets hosts bring (uploaded MIDI files and
picks from the bundled corpora), and the profile versions built from them on the
``training`` queue. It sits between the judge adapter (``evaluator``) and challenges:
a challenge names a built version, and may use it only past the validity gate."""
