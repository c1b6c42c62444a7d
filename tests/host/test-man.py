#!/usr/bin/env python3
"""Each program's --help and its manual page list the same options, long and short, and each
page was built by scdoc. TAP: one test per program.

usage: test-man.py MAN_SRC_DIR MAN_BUILD_DIR NAME=COMMAND...
"""
import os
import re
import subprocess
import sys

# An option defined in --help: indented, "-x, --name" or "--name".
HELP_RE = re.compile(r'^\s+(?:-(\w), )?--([a-z0-9][a-z0-9-]*)', re.M)
# An option defined in a page's OPTIONS section: "*-x, --name*" or "*--name*".
MAN_RE = re.compile(r'^\*(?:-(\w), )?--([a-z0-9][a-z0-9-]*)', re.M)


def options(regex, text):
    found = set()
    for short, long in regex.findall(text):
        found.add('--' + long)
        if short:
            found.add('-' + short)
    return found


def options_section(scd):
    match = re.search(r'^# OPTIONS\n(.*?)(?=^# )', scd, re.M | re.S)
    return match.group(1) if match else ''


src_dir, build_dir, programs = sys.argv[1], sys.argv[2], sys.argv[3:]
print('TAP version 13')
print(f'1..{len(programs)}')
failed = 0
for n, spec in enumerate(programs, 1):
    name, command = spec.split('=', 1)
    problems = []
    run = subprocess.run([command, '--help'], capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        problems.append(f'{name} --help exited with {run.returncode}: {run.stderr.strip()}')
    in_help = options(HELP_RE, run.stdout)
    with open(os.path.join(src_dir, name + '.1.scd')) as f:
        in_man = options(MAN_RE, options_section(f.read()))
    if not in_help:
        problems.append(f'{name} --help lists no options')
    if not in_man:
        problems.append(f'{name}(1) has no OPTIONS section with options')
    for option in sorted(in_help - in_man):
        problems.append(f'{option} is in {name} --help but not in {name}(1)')
    for option in sorted(in_man - in_help):
        problems.append(f'{option} is in {name}(1) but not in {name} --help')
    page = os.path.join(build_dir, name + '.1')
    if not os.path.exists(page) or os.path.getsize(page) == 0:
        problems.append(f'{page} was not built (is scdoc installed?)')
    else:
        with open(page) as f:
            roff = f.read()
        if '.SH "OPTIONS"' not in roff and '.SH OPTIONS' not in roff:
            problems.append(f'{page} has no OPTIONS section')
    for problem in problems:
        print(f'# {problem}')
    print(f'{"not ok" if problems else "ok"} {n} - {name}: {len(in_help)} options')
    failed += bool(problems)
sys.exit(1 if failed else 0)
