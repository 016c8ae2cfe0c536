"""Plans, apply outcomes and drift reports → text, json, markdown. One module per report.

One data shape per report (`planfile.plan_dict`, `drift_dict`, `apply_dict`) feeds all three
renderings, so `json` carries exactly what `text` shows. `common` holds what they share and
`budget` the markdown size budget; `status` and `error` render the status report and errors
(`status_counts` counts what status says; `plan_profiles` is the plan's text per profile).
This package formats for humans; it never prints (the CLI does).
"""

from __future__ import annotations

from reconciler.planfile import plan_dict

from .apply import apply_dict, apply_markdown, apply_text
from .budget import MARKDOWN_LIMIT, Budget
from .common import DETAILS_OVER, to_json
from .drift import drift_dict, drift_markdown, drift_text
from .plan import plan_markdown, plan_text

__all__ = ["DETAILS_OVER", "MARKDOWN_LIMIT", "Budget", "apply_dict", "apply_markdown", "apply_text", "drift_dict",
           "drift_markdown", "drift_text", "plan_dict", "plan_markdown", "plan_text", "to_json"]
