"""Rankings as a service: the engine (``matchmaker.engine``) fed from the database.

``service`` turns rows into the engine's documents, keeps its indexes current as changes
are announced, and keeps ranked pages (``pages``); ``controllers`` serves them both ways;
``training`` refits the model from funding history and coordinators' decisions.
"""
