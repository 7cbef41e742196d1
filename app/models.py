"""Imports every table so metadata (and Alembic) sees the whole schema."""

from app.advocates import models as advocates  # noqa: F401
from app.agencies import models as agencies  # noqa: F401
from app.agreements import models as agreements  # noqa: F401
from app.audit import models as audit  # noqa: F401
from app.cases import models as cases  # noqa: F401
from app.checklists import models as checklists  # noqa: F401
from app.consent import models as consent  # noqa: F401
from app.core import models as core  # noqa: F401
from app.referrals import models as referrals  # noqa: F401
from app.reports import models as reports  # noqa: F401
from app.webhooks import models as webhooks  # noqa: F401
