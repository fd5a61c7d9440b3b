"""Cost models, routing policies, the simulated quantum solver and the Q-Newton trainer."""
