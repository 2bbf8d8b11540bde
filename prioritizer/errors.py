"""Errors a planner can act on: each names the file, row, column or key at fault."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad input (data file, weight profile, settings, budget).

    ``row`` is the spreadsheet row as the user sees it: the header is row 1, the first data row is 2.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        key: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"file '{Path(self.file).name}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.key is not None:
            where.append(f"key '{self.key}'")
        return (", ".join(where) + ": " if where else "") + self.message


class InfeasibleError(RuntimeError):
    """The allocation constraints cannot all hold; ``diagnosis`` lists the conflicts with amounts."""

    def __init__(self, diagnosis: list[str], status: str = "Infeasible") -> None:
        self.diagnosis = list(diagnosis)
        self.status = status
        text = "; ".join(self.diagnosis) if self.diagnosis else "no conflict could be isolated"
        super().__init__(f"allocation is {status.lower()}: {text}")
