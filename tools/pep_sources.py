"""Where the maintainers' source texts live, for the scripts in tools/.

The PEP texts and the clause catalog sit in ../shared/pep beside the
checkout (resolved from the repository's parent directory, so a git worktree
finds them too). A user's clone has no ../shared: the maintainer checks that
read these texts then report themselves skipped, never failed.
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = REPO_ROOT.parent / "shared" / "pep"

# ctest's SKIP_RETURN_CODE for the maintainer checks.
SKIP_RETURN_CODE = 77


def source(name, given=None):
    """The path of source text `name`, or of `given` when one was passed."""
    return Path(given) if given else DEFAULT_DIR / name


def label(path, given=None):
    """How to name `path` in messages: relative to the checkout by default."""
    return str(path) if given else f"../shared/pep/{path.name}"


def skip_unless_present(path, given=None):
    """Exits with SKIP_RETURN_CODE, saying why, when `path` does not exist."""
    if not path.is_file():
        print(f"SKIPPED: {label(path, given)} not found "
              "(maintainer check; a user's clone has no ../shared)")
        sys.exit(SKIP_RETURN_CODE)
