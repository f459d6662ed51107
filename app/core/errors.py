"""Domain errors: operations raise them with reasons; views show the reasons, nothing is written."""


class DomainError(Exception):
    """A refused operation, with one or more human-readable reasons in the user's language."""

    def __init__(self, *reasons):
        super().__init__(*reasons)
        self.reasons = [str(r) for r in reasons]

    def __str__(self) -> str:
        return "；".join(self.reasons)
