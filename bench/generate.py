"""A seeded generator of realistic nurturekit workspaces for benchmarks.

    python bench/generate.py OUT --partners 1000 [--seed 7] [--now 2026-12-03]

Partners have 1-3 years of history (about 30 entries on average), referrals with every loop
state, shared clients, next steps, gifts and about 300 words of Markdown notes, like a busy
practice's files. Output is deterministic for a seed.
"""
from __future__ import annotations

import argparse
import random
from datetime import date, timedelta
from pathlib import Path

KINDS = ["pediatrician", "pcp", "diagnostician", "therapist", "school", "daycare", "other"]
PLAYS = ["resource-email", "community-touch", "check-in", "in-person-visit", "care-collaboration",
         "reverse-referral", "co-created-resource", "provider-spotlight", "expert-consult", "referral-filter"]
LAST = ["Shah", "Lee", "Garcia", "Nguyen", "Okafor", "Kowalski", "Brennan", "Haddad", "Moreau", "Silva",
        "Tanaka", "Ivanova", "Mensah", "Larsen", "Patel", "Kim", "Ruiz", "Fischer", "Rossi", "Chen"]
FIRST = ["Priya", "Marcus", "Elena", "Grace", "Sam", "Nina", "Omar", "Lena", "Carla", "June", "Amy", "Marco"]
WORDS = ("families referral intake openings screening speech language feeding sensory classroom teacher "
         "parents waitlist insurance Medicaid evaluation toddler preschool coordination front desk visit "
         "handout workshop newsletter conference community update progress goals collaboration").split()
NOTES = ["Sent the screening guide", "Called the front desk", "Dropped off handouts", "Shared the parent workshop flyer",
         "Asked about the new nurse practitioner", "Quick hello by email", "Met at the county fair"]


def initials(rng):
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTW") + "." for _ in range(2))


def moment(rng, d):
    return f"{d.isoformat()} {rng.randrange(8, 18):02d}:{rng.choice([0, 10, 15, 30, 45]):02d}" if rng.random() < 0.6 \
        else d.isoformat()


def partner(rng, i, ids, today):
    pid = ids[i]

    def cap(d):
        return min(d, today)
    met = today - timedelta(days=rng.randrange(40, 3 * 365))
    lines = ["---", f"name: Dr. {rng.choice(FIRST)} {rng.choice(LAST)} {i}", f"practice: {rng.choice(LAST)} Clinic",
             f"kind: {rng.choice(KINDS)}", f"email: {pid}@example.org", f'phone: "555-{i % 10000:04d}"',
             f"tier: {'high' if rng.random() < 0.2 else 'standard'}", f"owner: {rng.choice(['maria', 'devon', 'sam'])}",
             f"status: {rng.choices(['active', 'paused', 'closed'], [90, 6, 4])[0]}"]
    prospect = rng.random() < 0.1
    if not prospect:
        lines.append(f"met: {met.isoformat()}")
    lines += ["answers:", "  serve: Children 0-12 with developmental concerns",
              "  challenge: Families wait months for evaluations", "  process: Faxes a referral form",
              "  easier: One intake contact and a status update"]
    lines.append("history:")
    d = met
    n = rng.randrange(10, 55)
    for _ in range(n):
        d += timedelta(days=rng.randrange(3, 20))
        if d > today:
            break
        play = rng.choice(PLAYS)
        extra = ""
        if rng.random() < 0.3:
            extra += f", note: {rng.choice(NOTES)}"
        if rng.random() < 0.15:
            extra += ", replied: true"
        if play == "resource-email" and rng.random() < 0.1:
            play, extra = "warm-introduction", extra + f", with: {rng.choice([x for x in ids if x != pid])}"
        lines.append(f"  - {{date: {d.isoformat()}, play: {play}{extra}}}")
    refs = rng.randrange(0, 6) if rng.random() < 0.6 else 0
    if refs:
        lines.append("referrals:")
    for _ in range(refs):
        rec = met + timedelta(days=rng.randrange(0, max(1, (today - met).days)))
        lines += [f"  - client: {initials(rng)}", f"    received: {moment(rng, rec)}"]
        if rng.random() < 0.85:
            lines.append(f"    acknowledged: {cap(rec + timedelta(days=rng.randrange(0, 2))).isoformat()}")
        if rng.random() < 0.85:
            lines.append(f"    family_contacted: {cap(rec + timedelta(days=rng.randrange(0, 2))).isoformat()}")
        roll = rng.random()
        if roll < 0.6 and rec + timedelta(days=14) <= today:
            lines += [f"    intake: {(rec + timedelta(days=7)).isoformat()}",
                      f"    first_session: {(rec + timedelta(days=14)).isoformat()}", "    outcome: started"]
            if rng.random() < 0.8:
                lines.append(f"    loop_closed: {cap(rec + timedelta(days=15)).isoformat()}")
        elif roll < 0.75 and rec + timedelta(days=2) <= today:
            lines += ["    outcome: bounced", "    reason: Needs a service we do not offer",
                      f"    bounced: {cap(rec + timedelta(days=1)).isoformat()}",
                      f"    bounced_to: {rng.choice([x for x in ids if x != pid])}"]
            if rng.random() < 0.7:
                lines.append(f"    referrer_told: {cap(rec + timedelta(days=1)).isoformat()}")
        if rng.random() < 0.5:
            lines.append(f"    thanked: {cap(rec + timedelta(days=rng.randrange(1, 6))).isoformat()}")
    if rng.random() < 0.3 and not prospect:
        start = met + timedelta(days=rng.randrange(0, max(1, (today - met).days)))
        lines += ["shared_clients:", f"  - client: {initials(rng)}", "    goals: Communication; coping strategies",
                  f"    start: {start.isoformat()}", f"    updates: [{(start + timedelta(days=30)).isoformat()}]"
                  if start + timedelta(days=30) <= today else "    updates: []",
                  "    progress: Requests with words most of the day", "    next: Social skills group"]
    if rng.random() < 0.3:
        promised = today - timedelta(days=rng.randrange(1, 60))
        lines += ["next_steps:", f"  - {{what: Send the one-pager, promised: {promised.isoformat()}}}"]
    if rng.random() < 0.2:
        lines += ["gifts:", f"  - {{date: {(today - timedelta(days=rng.randrange(1, 300))).isoformat()}, "
                            f"what: Coffee card, value: {rng.randrange(10, 60)}}}"]
    lines.append("---")
    for _ in range(6):
        lines.append(" ".join(rng.choice(WORDS) for _ in range(50)).capitalize() + ".")
        lines.append("")
    return pid, "\n".join(lines) + "\n"


PLAYBOOK = """practice:
  name: Benchmark Therapy Group
  specialty: ABA
  sender: Pat Bench
  email: intake@bench.example
  phone: "555-0100"
  openings:
    - {service: ABA therapy, ages: "2-8", area: North County, status: open}
  openings_updated: 2026-11-20
  value_per_intake: 2500
"""


def generate(out: Path, n: int, seed: int = 7, today: date = date(2026, 12, 3)):
    rng = random.Random(seed)
    out = Path(out)
    (out / "partners").mkdir(parents=True, exist_ok=True)
    (out / "playbook.yaml").write_text(PLAYBOOK)
    ids = [f"partner-{i:05d}" for i in range(n)]
    for i in range(n):
        pid, text = partner(rng, i, ids, today)
        (out / "partners" / f"{pid}.md").write_text(text)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--partners", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    generate(Path(args.out), args.partners, args.seed)


if __name__ == "__main__":
    main()
