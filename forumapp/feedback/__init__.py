"""Post-forum feedback, topic suggestions grouped across teams, and faculty summaries."""
