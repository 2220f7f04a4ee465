"""checkov as a second, independent evaluator of the code-side rows."""
