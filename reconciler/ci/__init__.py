"""The CI helpers, versioned with the reconciler: `reconciler ci …` and `reconciler init`.

They talk to GitHub's REST API (github.py, on the standard library) and to GitHub Actions' step
files (actions.py); the reusable workflows in .github/workflows/reconciler-*.yml call them. The
core never imports this package, and this package never imports the sandbox (.importlinter).
"""
