"""The Django side's one adapter to the evaluation library (the judge): profiles and
weights, upload checks and fingerprints, scoring an entry, and what an entry's owner may
read of its copy flags. It sits low, under challenges and submissions, and imports no
other app."""
