"""What the meeting takes home: figures, static map, handout. Imports geo.analysis, geo.data, geo.core."""
