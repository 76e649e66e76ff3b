"""Live resource use: CPU and memory figures of capsules and their members, from the engine's stats."""
