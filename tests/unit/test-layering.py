#!/usr/bin/env python3
"""The compositor's folders depend one way (compositor/README.md): each file may include the
headers of its own folder and of the folders below it, and core includes no extension
protocol's generated header. TAP: one test per folder, and one for files outside every folder."""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '../../compositor')

# folder -> the folders its files may include from (besides common/ and system headers)
ALLOWED = {
    'core': {'core'},
    'renderers': {'core', 'renderers'},
    'backends': {'core', 'backends'},
    'input': {'core', 'input', 'backends'},
    'protocols': {'core', 'input', 'protocols'},
    'features': {'core', 'input', 'protocols', 'features'},
}
# The top level assembles everything; nothing else may include it.
TOP = {'main.c', 'sluice.c', 'sluice.h'}
# Generated protocol headers core may use: the core protocol only.
CORE_PROTOCOL_HEADERS = {'wayland-server-protocol.h'}

include_re = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]', re.M)
results = []

stray = []
by_folder = {name: [] for name in ALLOWED}
for dirpath, _, files in os.walk(root):
    for name in files:
        if not name.endswith(('.c', '.h')):
            continue
        rel = os.path.relpath(os.path.join(dirpath, name), root)
        folder = rel.split(os.sep)[0]
        if rel in TOP:
            continue
        if folder not in ALLOWED:
            stray.append(rel)
            continue
        by_folder[folder].append(rel)

results.append((not stray, 'every compositor file is in a folder of its kind',
                ['not in any folder: ' + f for f in stray]))

for folder, files in sorted(by_folder.items()):
    problems = []
    for rel in sorted(files):
        text = open(os.path.join(root, rel)).read()
        for header in include_re.findall(text):
            head = header.split('/')[0]
            if header in ('sluice.h',):
                problems.append(f'{rel}: includes the top level ({header})')
            elif '/' in header and head in ALLOWED and head not in ALLOWED[folder]:
                problems.append(f'{rel}: includes {header} ({folder} may use '
                                f'{", ".join(sorted(ALLOWED[folder]))})')
            elif (folder == 'core' and header.endswith('-protocol.h')
                  and header not in CORE_PROTOCOL_HEADERS):
                problems.append(f'{rel}: core includes the protocol header {header}')
            elif '/' not in header and os.path.exists(os.path.join(root, header)):
                problems.append(f'{rel}: includes {header} without its folder')
    if not files:
        problems.append(f'no files found in {folder}/')
    results.append((not problems, f'{folder}/ depends only on {", ".join(sorted(ALLOWED[folder]))}',
                    problems))

print(f'1..{len(results)}')
failed = 0
for i, (ok, name, problems) in enumerate(results, 1):
    print(f'{"ok" if ok else "not ok"} {i} - {name}')
    for p in problems:
        print(f'# {p}')
    failed += not ok
sys.exit(1 if failed else 0)
