"""The OpenAPI description (flask-smorest) of the REST API, errors as they are sent."""

import http

from flask_smorest import Api as SmorestApi
from flask_smorest.utils import prepare_response

from ..errors import PROBLEM_JSON, ProblemSchema


class Api(SmorestApi):
    """flask-smorest's Api, describing error answers as they are sent (server/errors.py):
    application/problem+json, for every operation's ``default`` response and the
    per-status responses (``UNPROCESSABLE_ENTITY`` …) that decorators refer to."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = ProblemSchema
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "错误（problem+json）", "schema": ProblemSchema}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


api = Api()
