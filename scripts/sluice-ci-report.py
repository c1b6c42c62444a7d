#!/usr/bin/env python3
"""sluice-ci's verdict: merges what the VM run left in the output directory (sluice's strict
reports, the client's log and exit, the captures) into report.json, prints a summary and exits
0 (pass) or 1 (fail)."""
import argparse
import glob
import json
import os
import re
import sys

# libwayland-client prints the compositor's protocol errors as "interface@id: error N: message".
PROTOCOL_ERROR = re.compile(r"^(\S+@\d+): error (\d+): (.*)$", re.M)
# Processes that belong to the harness, not to the client under test.
OWN_CLIENTS = ("sluice-capture",)


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--client", required=True)
    p.add_argument("--fail-on", default="error")
    p.add_argument("--max-dropped", type=int, default=-1)
    p.add_argument("--format", default="")
    p.add_argument("--sync", default="")
    p.add_argument("--planes", default="on")
    p.add_argument("--frames", type=int, default=0)
    a = p.parse_args()

    guest = load(os.path.join(a.out, "guest.json"), {})
    try:
        with open(os.path.join(a.out, "client.log"), errors="replace") as f:
            client_log = f.read()
    except OSError:
        client_log = ""
    errors = [{"object": m.group(1), "code": int(m.group(2)), "message": m.group(3)}
              for m in PROTOCOL_ERROR.finditer(client_log)]

    clients = []
    for path in sorted(glob.glob(os.path.join(a.out, "strict", "*.json"))):
        report = load(path)
        if report is None or report.get("client", "").startswith(OWN_CLIENTS):
            continue
        report["report_file"] = os.path.relpath(path, a.out)
        clients.append(report)

    reasons = []
    status = guest.get("client_status")
    ended_by = guest.get("ended_by", "unknown")
    # Ended by sluice-ci (timeout) or by the frame limit: SIGTERM's 143 is expected then.
    if ended_by == "exit" and status != 0:
        reasons.append(f"the client exited with status {status}")
    if ended_by in ("timeout", "frame_limit") and status not in (0, 143):
        reasons.append(f"the client did not end cleanly on SIGTERM (status {status})")
    for e in errors:
        reasons.append(f"protocol error on {e['object']} (code {e['code']}): {e['message']}")
    if not clients:
        reasons.append("the client never connected to the compositor")

    totals = {k: 0 for k in ("committed", "presented", "dropped", "scanned_out", "composited")}
    formats, syncs = set(), set()
    for c in clients:
        for k in totals:
            totals[k] += c.get("frames", {}).get(k, 0)
        formats.update(c.get("formats", []))
        syncs.update(c.get("sync", []))
        for finding in c.get("findings", []):
            if finding["severity"] == "error" or a.fail_on == "warning":
                reasons.append(f"{c['client']}[{c['pid']}] {finding['severity']} "
                               f"{finding['kind']} (x{finding['count']}): {finding['first']}")
    if clients and totals["presented"] == 0:
        reasons.append("no frame of the client reached the screen")
    if a.frames and totals["presented"] < a.frames:
        reasons.append(f"{totals['presented']} frames presented, {a.frames} asked for")
    if a.max_dropped >= 0 and totals["dropped"] > a.max_dropped:
        reasons.append(f"{totals['dropped']} frames dropped, at most {a.max_dropped} allowed")
    if a.format and clients and not any(f.startswith(a.format + " ") for f in formats):
        reasons.append(f"no buffer in {a.format}: the client used {', '.join(sorted(formats))}")
    if a.sync and clients and syncs != {a.sync}:
        reasons.append(f"sync {', '.join(sorted(syncs)) or 'none seen'}, expected {a.sync}")

    frames = sorted(os.path.relpath(f, a.out) for f in glob.glob(os.path.join(a.out, "frames", "*.png")))
    verdict = "pass" if not reasons else "fail"
    report = {
        "verdict": verdict,
        "reasons": reasons,
        "client": a.client,
        "exit_status": status,
        "ended_by": ended_by,
        "seconds": guest.get("seconds"),
        "compositor_status": guest.get("sluice_status"),
        "expectations": {"fail_on": a.fail_on, "max_dropped": a.max_dropped,
                         "format": a.format or None, "sync": a.sync or None,
                         "planes": a.planes, "frames": a.frames or None},
        "frames": totals,
        "formats": sorted(formats),
        "sync": sorted(syncs),
        "protocol_errors": errors,
        "clients": clients,
        "captures": frames,
        "contact_sheet": "contact-sheet.png" if os.path.exists(
            os.path.join(a.out, "contact-sheet.png")) else None,
    }
    with open(os.path.join(a.out, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")

    print(f"sluice-ci: {a.client}: {verdict.upper()}")
    ended = {"exit": "exited", "timeout": "ended at the timeout",
             "frame_limit": "ended at the frame limit"}.get(ended_by, ended_by)
    print(f"  {ended} after {guest.get('seconds', '?')} s, status {status}")
    print(f"  frames: {totals['committed']} committed, {totals['presented']} presented "
          f"({totals['scanned_out']} scanned out, {totals['composited']} composited), "
          f"{totals['dropped']} dropped")
    for c in clients:
        lat = c.get("latency_ms", {})
        print(f"  {c['client']}[{c['pid']}]: commit to present median {lat.get('median', 0):.2f} ms, "
              f"p99 {lat.get('p99', 0):.2f} ms; {c.get('errors', 0)} errors, "
              f"{c.get('warnings', 0)} warnings")
    print(f"  formats: {', '.join(sorted(formats)) or 'none'}; sync: {', '.join(sorted(syncs)) or 'none'}")
    for r in reasons:
        print(f"  FAIL: {r}")
    print(f"  report: {os.path.join(a.out, 'report.json')}")
    return 0 if verdict == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
