"""Capacity needs: what a state asks for, where, in which GCM objectives, how much, by when."""
