"""Runs leaving simrooms for experiment trackers: TensorBoard event files and MLflow runs.

``tensorboard`` writes a room's episodes as TensorBoard events (``simrooms export --format
tensorboard`` and live tracking share it); ``mlflow_run`` logs them to MLflow (an optional extra,
imported only when used); ``tracker`` is the OS thread that logs every finished episode of every
room as it happens, off the engine's thread.
"""
