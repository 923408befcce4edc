from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from .. import scope
from ..contacts import operations
from ..contacts.models import ContactCard, ContactLog
from ..contacts.schemas import (
    ContactCardCreateSchema,
    ContactCardPageSchema,
    ContactCardQuerySchema,
    ContactCardSchema,
    ContactCardUpdateSchema,
    ContactLogBodySchema,
    ContactLogSchema,
    ContactLogUpdateSchema,
)
from ..extensions import db
from . import BEARER

blp = Blueprint("contacts", __name__, url_prefix="/api/v1", description="连心卡与联系记录")


@blp.route("/contact-cards")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(ContactCardQuerySchema(), location="query")
@blp.response(200, ContactCardPageSchema)
def list_cards(filters):
    """The contact register of migrants; ``q`` matches a name or a whole card number."""
    return operations.card_page(filters, current_user)


@blp.route("/contact-cards", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(ContactCardCreateSchema())
@blp.response(201, ContactCardSchema)
def create_card(values):
    """Only for a migrant beneficiary without a card; the number is generated when omitted."""
    card = operations.create_card(values, current_user)
    db.session.commit()
    return card


@blp.route("/contact-cards/<uuid:card_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, ContactCardSchema)
def get_card(card_id):
    return scope.get_or_404(ContactCard, card_id, current_user)


@blp.route("/contact-cards/<uuid:card_id>", methods=["PATCH"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(ContactCardUpdateSchema())
@blp.response(200, ContactCardSchema)
def update_card(changes, card_id):
    card = scope.get_or_404(ContactCard, card_id, current_user)
    operations.update_card(card, changes, current_user)
    db.session.commit()
    return card


@blp.route("/contact-cards/<uuid:card_id>", methods=["DELETE"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(204)
def delete_card(card_id):
    """Staff only; the logs are deleted with the card."""
    card = scope.get_or_404(ContactCard, card_id, current_user)
    operations.delete_card(card, current_user)
    db.session.commit()


@blp.route("/contact-cards/<uuid:card_id>/logs")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, ContactLogSchema(many=True))
def list_logs(card_id):
    card = scope.get_or_404(ContactCard, card_id, current_user)
    return db.session.scalars(operations.logs_statement(card, current_user)).all()


@blp.route("/contact-cards/<uuid:card_id>/logs", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(ContactLogBodySchema())
@blp.response(201, ContactLogSchema)
def create_log(values, card_id):
    """A newer log also moves the card's last_contact_on."""
    card = scope.get_or_404(ContactCard, card_id, current_user)
    log = operations.create_log({**values, "card_id": card.id}, current_user)
    db.session.commit()
    return log


@blp.route("/contact-logs/<uuid:log_id>", methods=["PATCH"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(ContactLogUpdateSchema())
@blp.response(200, ContactLogSchema)
def update_log(changes, log_id):
    log = scope.get_or_404(ContactLog, log_id, current_user)
    operations.update_log(log, changes, current_user)
    db.session.commit()
    return log


@blp.route("/contact-logs/<uuid:log_id>", methods=["DELETE"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(204)
def delete_log(log_id):
    log = scope.get_or_404(ContactLog, log_id, current_user)
    operations.delete_log(log, current_user)
    db.session.commit()
