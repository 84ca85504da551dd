"""Errors a person can act on: every message names the file, the row, the field and the fix."""

from __future__ import annotations


class BabelVLMError(Exception):
    """Base class of every error BabelVLM raises on purpose."""


class DataError(BabelVLMError):
    """Bad input data: names the file, the row (1-based, when known), the field and the fix."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.file, self.row, self.field, self.fix = file, row, field, fix
        where = []
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field '{field}'")
        text = ": ".join([" ".join(where), message]) if where else message
        if fix:
            text += f" (fix: {fix})"
        super().__init__(text)


class ConfigError(BabelVLMError):
    """A bad option, name or combination of settings given by the user."""


class UnknownNameError(ConfigError):
    """An unknown task, model, metric or language name; suggests the closest known name (or says what
    ``hint`` says) and lists what exists."""

    def __init__(self, kind: str, name: str, known: list[str], hint: str | None = None) -> None:
        import difflib

        self.kind, self.name, self.known = kind, name, known
        if hint is None:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}?" if close else None
        shown = ", ".join(sorted(known)[:40])
        said = f": {hint}" if hint else ""
        super().__init__(f"unknown {kind} '{name}'{said} (known {kind}s: {shown})")


class MissingDependencyError(BabelVLMError):
    """An optional dependency is not installed; says which extra to install."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the package '{package}', which is not installed "
            f"(fix: pip install 'babelvlm[{extra}]')"
        )


class ModelError(BabelVLMError):
    """A backend failed in a way that is not a per-request failure (bad path, bad server)."""
