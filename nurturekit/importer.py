"""`nurturekit import`: a provider list (NPPES download or a simple CSV) -> prospect files."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import WARNING, Diagnostic
from .edit import scalar
from .validate import ID_RE, npi_valid, parse_partner

NPPES_ORG = "Provider Organization Name (Legal Business Name)"
NPPES_LAST = "Provider Last Name (Legal Name)"
NPPES_FIRST = "Provider First Name"
NPPES_CRED = "Provider Credential Text"
NPPES_ADDR = "Provider First Line Business Practice Location Address"
NPPES_CITY = "Provider Business Practice Location Address City Name"
NPPES_STATE = "Provider Business Practice Location Address State Name"
NPPES_ZIP = "Provider Business Practice Location Address Postal Code"
NPPES_PHONE = "Provider Business Practice Location Address Telephone Number"
NPPES_FAX = "Provider Business Practice Location Address Fax Number"

# taxonomy code -> (kind, specialty); the common ones for pediatric therapy referral networks
TAXONOMY = {
    "208000000X": ("pediatrician", "Pediatrics"),
    "2080P0006X": ("diagnostician", "Developmental-behavioral pediatrics"),
    "2080P0008X": ("diagnostician", "Neurodevelopmental disabilities"),
    "207Q00000X": ("pcp", "Family medicine"), "208D00000X": ("pcp", "General practice"),
    "207R00000X": ("pcp", "Internal medicine"), "363LP0200X": ("pcp", "Pediatric nurse practitioner"),
    "363LF0000X": ("pcp", "Family nurse practitioner"),
    "103T00000X": ("diagnostician", "Psychologist"), "103TC0700X": ("diagnostician", "Clinical psychologist"),
    "2084P0804X": ("diagnostician", "Child and adolescent psychiatry"),
    "235Z00000X": ("therapist", "Speech-language pathology"), "225X00000X": ("therapist", "Occupational therapy"),
    "225100000X": ("therapist", "Physical therapy"), "103K00000X": ("therapist", "Behavior analysis"),
    "101YM0800X": ("therapist", "Mental health counseling"), "106H00000X": ("therapist", "Marriage and family therapy"),
    "1041C0700X": ("therapist", "Clinical social work"), "251300000X": ("school", "Local education agency"),
    "261QR0400X": ("other", "Rehabilitation clinic"), "253J00000X": ("daycare", "Foster care agency"),
}
KEYWORDS = [(r"daycare|day care|preschool|early learning|child care", "daycare"),
            (r"pediatric|paediatric", "pediatrician"), (r"family|primary|internal|general practice", "pcp"),
            (r"develop|evaluat|diagnos|psycholog|neuro", "diagnostician"),
            (r"speech|occupational|physical|therap|counsel|behavio|aba|slp", "therapist"),
            (r"school|district|elementary|academy", "school")]


@dataclass
class Row:
    line: int
    npi: str | None
    fields: dict       # partner fields (name, practice, kind, specialty, phone, fax, address, npi)


KEEP_UPPER = {"LLC", "PLLC", "PC", "LLP", "PA", "MD", "DO", "ABA", "OT", "PT", "SLP", "II", "III", "IV"}


def _title(text: str) -> str:
    return " ".join(w if w.upper() in KEEP_UPPER and w.isupper() else
                    (w.capitalize() if w.isupper() or w.islower() else w) for w in (text or "").split())


def _phone(raw: str) -> str | None:
    digits = re.sub(r"\D", "", raw or "")
    if len(digits) == 10:
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return raw.strip() or None


def _kind_from_text(text: str) -> str:
    for pattern, kind in KEYWORDS:
        if re.search(pattern, text or "", re.I):
            return kind
    return "other"


def read_rows(text: str, rel: str):
    """Returns (rows, diagnostics)."""
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip() for h in reader.fieldnames or []]
    lower = {h.lower(): h for h in headers}
    if "NPI" in headers and "Entity Type Code" in headers:
        parse = _nppes
    elif "name" in lower:
        parse = _simple
    else:
        return [], [Diagnostic(rel, 1, 1, "NK501", "unrecognised columns: expected the NPPES download (NPI, Entity "
                                                   "Type Code, ...) or a simple list with at least a 'name' column")]
    rows, diags = [], []
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            diags.append(Diagnostic(rel, reader.line_num, 1, "NK501", f"CSV error: {exc}"))
            break
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        parsed, problem = parse(row, {k.lower(): v for k, v in row.items()})
        line = reader.line_num
        if problem:
            diags.append(Diagnostic(rel, line, 1, "NK502", problem, WARNING))
            continue
        rows.append(Row(line, parsed.get("npi"), parsed))
    return rows, diags


def _check_npi(npi):
    if not npi:
        return None
    if not npi_valid(npi):
        return f"NPI '{npi}' fails the check digit; row skipped"
    return None


def _nppes(row, _):
    npi = row.get("NPI", "")
    if row.get("NPI Deactivation Date") and not row.get("NPI Reactivation Date"):
        return None, f"NPI {npi} was deactivated on {row['NPI Deactivation Date']}; row skipped"
    problem = _check_npi(npi)
    if problem:
        return None, problem
    codes = [(row.get(f"Healthcare Provider Taxonomy Code_{i}", ""), row.get(f"Healthcare Provider Primary Taxonomy Switch_{i}", ""))
             for i in range(1, 16)]
    primary = next((c for c, sw in codes if c and sw == "Y"), next((c for c, _ in codes if c), ""))
    kind, specialty = TAXONOMY.get(primary, ("other", None))
    if row.get("Entity Type Code") == "2":
        name = _title(row.get(NPPES_ORG, ""))
        practice = name
    else:
        first, last = _title(row.get(NPPES_FIRST, "")), _title(row.get(NPPES_LAST, ""))
        cred = row.get(NPPES_CRED, "").replace(".", "").upper()
        doctor = any(c in cred.split() or cred.startswith(c) for c in ("MD", "DO", "PHD", "PSYD"))
        name = f"{'Dr. ' if doctor else ''}{first} {last}".strip()
        practice = None
    if not name:
        return None, "no name in this row; row skipped"
    parts = [_title(row.get(NPPES_ADDR, "")), _title(row.get(NPPES_CITY, "")),
             " ".join(x for x in (row.get(NPPES_STATE, ""), row.get(NPPES_ZIP, "")[:5]) if x)]
    return {"name": name, "practice": practice, "kind": kind, "specialty": specialty or (f"Taxonomy {primary}" if primary else None),
            "phone": _phone(row.get(NPPES_PHONE, "")), "fax": _phone(row.get(NPPES_FAX, "")),
            "address": ", ".join(p for p in parts if p) or None, "npi": npi}, None


def _simple(row, low):
    npi = low.get("npi", "")
    problem = _check_npi(npi)
    if problem:
        return None, problem
    name = low.get("name", "")
    if not name:
        return None, "no name in this row; row skipped"
    specialty = low.get("specialty") or None
    return {"name": name, "practice": low.get("practice") or None,
            "kind": _kind_from_text(f"{specialty or ''} {low.get('practice', '')} {name}"), "specialty": specialty,
            "phone": _phone(low.get("phone", "")), "fax": _phone(low.get("fax", "")),
            "address": low.get("address") or None, "npi": npi or None}, None


def make_id(name: str, taken: set) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower().replace("dr.", "dr ")).strip("-")[:50].strip("-") or "partner"
    if not ID_RE.match(base):
        base = "p-" + base
    pid, n = base, 2
    while pid in taken:
        pid, n = f"{base}-{n}", n + 1
    return pid


def file_text(fields: dict, source: str, today) -> str:
    lines = ["---"]
    for key in ("name", "practice", "kind", "specialty", "phone", "fax", "address", "npi"):
        value = fields.get(key)
        if value:
            lines.append(f"{key}: {scalar(value) if key not in ('phone', 'fax', 'npi') else chr(34) + value + chr(34)}")
    lines += ["tags: [imported]", "---", f"Imported from {source} on {today}. A prospect: send an introduction "
              f"(`nurturekit draft <id>`) and log it.", ""]
    return "\n".join(lines)


def plan_import(root: Path, csv_path: Path, workspace, today):
    """Returns (to_write {rel: text}, report lines, diagnostics). Writes nothing."""
    rel = str(csv_path)
    try:
        text = csv_path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [], [Diagnostic(rel, 1, 1, "NK501", f"cannot read {csv_path}: {exc}")]
    rows, diags = read_rows(text, rel)
    by_npi = {p.npi: p for p in workspace.partners if p.npi}
    taken = set(workspace.by_id) | {p.stem for p in (Path(root) / "partners").glob("*.md")}
    out, report, seen = {}, [], {}
    ids = set(taken)
    for row in rows:
        if row.npi and row.npi in by_npi:
            report.append(f"line {row.line}: NPI {row.npi} is already partners/{by_npi[row.npi].id}.md; left as it is")
            continue
        if row.npi and row.npi in seen:
            report.append(f"line {row.line}: NPI {row.npi} repeats line {seen[row.npi]}; skipped")
            continue
        pid = make_id(row.fields["name"], ids)
        ids.add(pid)
        body = file_text(row.fields, csv_path.name, today)
        partner, problems = parse_partner(pid, f"partners/{pid}.md", body, today, workspace.playbook.plays, ids)
        if partner is None:
            first = next(d for d in problems if d.severity == "error")
            diags.append(Diagnostic(rel, row.line, 1, "NK502", f"row skipped: {first.message}", WARNING))
            continue
        if row.npi:
            seen[row.npi] = row.line
        out[f"partners/{pid}.md"] = body
        report.append(f"line {row.line}: new prospect partners/{pid}.md ({row.fields['name']}, {row.fields['kind']})")
    return out, report, diags
