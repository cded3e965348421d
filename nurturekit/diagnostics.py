"""Diagnostics: one frozen record per problem, and the registry of codes.

Codes are public API: they are printed, documented in the README and matched by
users' scripts. Never renumber one; add new codes at the end of their range.
"""
from __future__ import annotations

from dataclasses import dataclass

# code -> short title (the README's table is checked against this registry)
CODES: dict[str, str] = {
    # NK0xx: reading and syntax
    "NK001": "file is not valid UTF-8 text",
    "NK002": "partner file does not start with a '---' front matter line",
    "NK003": "front matter is not closed by a second '---' line",
    "NK004": "YAML syntax error",
    "NK005": "duplicate key",
    "NK006": "YAML anchors and aliases are not allowed",
    "NK007": "file too large or nested too deeply",
    "NK008": "front matter must be a mapping of keys to values",
    "NK009": "keys must be plain text",
    "NK010": "partner file name is not a valid id",
    "NK011": "file cannot be read",
    "NK012": "YAML tags are not allowed",
    # NK1xx: fields of one record
    "NK101": "unknown key",
    "NK102": "required field missing",
    "NK103": "not a valid date or moment",
    "NK104": "wrong type of value",
    "NK105": "not one of the allowed values",
    "NK106": "date lies in the future",
    "NK107": "moments of a referral out of order",
    "NK108": "client field must hold initials only",
    "NK109": "invalid NPI",
    "NK110": "reason required for a bounced or declined referral",
    "NK111": "bounced referral needs 'bounced' and 'bounced_to'",
    "NK112": "restart needs met and must not be before it",
    "NK113": "gift value must be a non-negative number",
    "NK114": "replied must be a date or true",
    "NK115": "empty value",
    # NK2xx: across files
    "NK201": "unknown play",
    "NK202": "unknown partner",
    "NK203": "a partner cannot refer to itself",
    # NK3xx: playbook
    "NK301": "unknown playbook key",
    "NK302": "invalid playbook value",
    "NK303": "calendar or play refers to an unknown play",
    "NK304": "invalid play id",
    # NK4xx: templates
    "NK401": "template syntax error",
    "NK402": "template failed to render",
    # NK5xx: import
    "NK501": "import file cannot be read",
    "NK502": "import row skipped",
    # NK6xx: editing commands
    "NK601": "partner file changed on disk during the edit",
    "NK602": "edit would make the file invalid",
    "NK603": "no such partner",
    "NK604": "no matching referral",
    "NK605": "partner already exists",
    # warnings about records (never fail a build)
    "NK901": "looks like patient data in notes",
}

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    code: str
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity} {self.code} {self.message}"

    def as_json(self) -> dict:
        return {"path": self.path, "line": self.line, "col": self.col,
                "code": self.code, "message": self.message}


def has_errors(diags) -> bool:
    return any(d.severity == ERROR for d in diags)


def suggest(word: str, choices) -> str:
    """' (did you mean 'x'?)' for the closest choice, or ''."""
    import difflib
    choices = [str(c) for c in choices]
    match = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if not match:
        lowered = {c.lower(): c for c in choices}
        if str(word).lower() in lowered:
            match = [lowered[str(word).lower()]]
    return f" (did you mean '{match[0]}'?)" if match else ""
