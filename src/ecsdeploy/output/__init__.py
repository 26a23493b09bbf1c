"""Everything a person sees: consoles, the plan view, progress lines, status tables, errors.

rich is used here and nowhere else. Human output goes to stderr; machine output (JSON) to
stdout, so ``ecsdeploy status --output json | jq`` works.
"""
