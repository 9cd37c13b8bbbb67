"""Web plumbing shared by the blueprints: the unit of work and how refused actions are answered."""
