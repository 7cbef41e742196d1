"""Imports every table so metadata (and Alembic) sees the whole schema."""

from app.advocates import models as advocates  # noqa: F401
from app.agreements import models as agreements  # noqa: F401
from app.assessments import models as assessments  # noqa: F401
from app.cases import models as cases  # noqa: F401
from app.checklists import models as checklists  # noqa: F401
from app.children import models as children  # noqa: F401
from app.consent import models as consent  # noqa: F401
from app.contacts import models as contacts  # noqa: F401
from app.core import models as core  # noqa: F401
from app.court import models as court  # noqa: F401
from app.family import models as family  # noqa: F401
from app.identity import models as identity  # noqa: F401
from app.keys import models as keys  # noqa: F401
from app.notes import models as notes  # noqa: F401
from app.outbox import models as outbox  # noqa: F401
from app.protective_orders import models as protective_orders  # noqa: F401
from app.referrals import models as referrals  # noqa: F401
from app.safety_plans import models as safety_plans  # noqa: F401
from app.services import models as services  # noqa: F401
from app.tasks import models as tasks  # noqa: F401
from app.trail import models as trail  # noqa: F401
from app.treatment import models as treatment  # noqa: F401
