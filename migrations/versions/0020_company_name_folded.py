"""company names unique after folding (issue 17): organizations.name_folded, the name after
NFKC, case folding and removal of invisible characters, with a unique constraint

Revision ID: 0020_company_name_folded
Revises: 0019_audience_minimum
Create Date: 2026-12-06 11:20:00

Adds organizations.name_folded (VARCHAR(480), NOT NULL, unique), backfilled from each name.

What it assumes about existing rows: companies were free to pick look-alike names until now,
so two may fold the same. The oldest company (lowest id) keeps its name; each later one has
its slug (unique already) appended in brackets — "Acme Foods (acme-foods-2)" — so every folded
name is distinct and no company is refused service. Operators can rename afterwards. Names
holding invisible characters keep them (the folded form drops them); only new input is
refused.
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_company_name_folded'
down_revision = '0019_audience_minimum'
branch_labels = None
depends_on = None

# A copy of comarketing.accounts.names.fold_name as of this revision: a migration must not
# change meaning when the application's code does.
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})


def _fold(text):
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    visible = "".join(ch for ch in folded if unicodedata.category(ch) not in _INVISIBLE)
    return " ".join(visible.split())[:480]


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_folded', sa.String(length=480), nullable=True))

    organizations = sa.table(
        'organizations',
        sa.column('id', sa.Integer),
        sa.column('name', sa.String),
        sa.column('slug', sa.String),
        sa.column('name_folded', sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(organizations.c.id, organizations.c.name, organizations.c.slug).order_by(
            organizations.c.id
        )
    ).all()
    taken = set()
    for row_id, name, slug in rows:
        folded = _fold(name)
        if folded in taken:
            name = f"{name[: 120 - len(slug) - 3]} ({slug})"
            folded = _fold(name)
        taken.add(folded)
        connection.execute(
            organizations.update()
            .where(organizations.c.id == row_id)
            .values(name=name, name_folded=folded)
        )

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.alter_column('name_folded', existing_type=sa.String(length=480), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_organizations_name_folded'), ['name_folded'])


def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organizations_name_folded'), type_='unique')
        batch_op.drop_column('name_folded')
