"""Acceptance and evaluation after the works

Revision ID: c85fda1d458f
Revises: 00be7cbc8e57
Create Date: 2026-12-06 20:23:10.993448

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c85fda1d458f'
down_revision = '00be7cbc8e57'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evaluation_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_evaluation_round_community_id_community')),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_evaluation_round_plan_id_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_round')),
    sa.UniqueConstraint('plan_id', 'number', name=op.f('uq_evaluation_round_plan_id_number'))
    )
    with op.batch_alter_table('evaluation_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_round_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_round_plan_id'), ['plan_id'], unique=False)

    op.create_table('acceptance_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('checklist', sa.Text(), nullable=False),
    sa.Column('result', sa.String(length=12), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_acceptance_check_community_id_community')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_acceptance_check_item_id_item')),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_acceptance_check_plan_id_plan')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_acceptance_check_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acceptance_check')),
    sa.UniqueConstraint('item_id', name=op.f('uq_acceptance_check_item_id'))
    )
    with op.batch_alter_table('acceptance_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acceptance_check_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acceptance_check_plan_id'), ['plan_id'], unique=False)

    op.create_table('acceptance_defect',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('responsible', sa.String(length=120), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('rectification', sa.Text(), nullable=False),
    sa.Column('rectified_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_acceptance_defect_community_id_community')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_acceptance_defect_item_id_item')),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_acceptance_defect_plan_id_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acceptance_defect'))
    )
    with op.batch_alter_table('acceptance_defect', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acceptance_defect_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acceptance_defect_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acceptance_defect_plan_id'), ['plan_id'], unique=False)

    op.create_table('acceptance_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_acceptance_member_community_id_community')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_acceptance_member_household_id_household')),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_acceptance_member_plan_id_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acceptance_member'))
    )
    with op.batch_alter_table('acceptance_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acceptance_member_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acceptance_member_plan_id'), ['plan_id'], unique=False)

    op.create_table('evaluation_keying',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('scores', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_evaluation_keying_community_id_community')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_evaluation_keying_entered_by_id_user')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_evaluation_keying_household_id_household')),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_round.id'], name=op.f('fk_evaluation_keying_round_id_evaluation_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_keying'))
    )
    with op.batch_alter_table('evaluation_keying', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_keying_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_keying_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_keying_round_id'), ['round_id'], unique=False)

    op.create_table('evaluation_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('scores', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_evaluation_response_community_id_community')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_evaluation_response_household_id_household')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_evaluation_response_recorded_by_id_user')),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_round.id'], name=op.f('fk_evaluation_response_round_id_evaluation_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_response')),
    sa.UniqueConstraint('round_id', 'household_id', name=op.f('uq_evaluation_response_round_id_household_id'))
    )
    with op.batch_alter_table('evaluation_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_response_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_response_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_response_round_id'), ['round_id'], unique=False)



def downgrade():
    with op.batch_alter_table('evaluation_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_response_round_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_response_household_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_response_community_id'))

    op.drop_table('evaluation_response')
    with op.batch_alter_table('evaluation_keying', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_keying_round_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_keying_household_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_keying_community_id'))

    op.drop_table('evaluation_keying')
    with op.batch_alter_table('acceptance_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acceptance_member_plan_id'))
        batch_op.drop_index(batch_op.f('ix_acceptance_member_community_id'))

    op.drop_table('acceptance_member')
    with op.batch_alter_table('acceptance_defect', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acceptance_defect_plan_id'))
        batch_op.drop_index(batch_op.f('ix_acceptance_defect_item_id'))
        batch_op.drop_index(batch_op.f('ix_acceptance_defect_community_id'))

    op.drop_table('acceptance_defect')
    with op.batch_alter_table('acceptance_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acceptance_check_plan_id'))
        batch_op.drop_index(batch_op.f('ix_acceptance_check_community_id'))

    op.drop_table('acceptance_check')
    with op.batch_alter_table('evaluation_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_round_plan_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_round_community_id'))

    op.drop_table('evaluation_round')
