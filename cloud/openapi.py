"""The OpenAPI 3.1 description of the JSON API, served at /cx/api/v1/openapi.json."""


def _receipt_schema() -> dict:
    string = {"type": "string"}
    nullable_time = {"type": ["string", "null"], "format": "date-time"}
    return {
        "type": "object",
        "required": ["id", "date", "amount", "currency", "purpose", "status", "file"],
        "properties": {
            "id": {"type": "integer"},
            "date": {"type": "string", "format": "date"},
            "amount": {"type": "string", "description": "Decimal with two places, e.g. 12.50"},
            "currency": {"type": "string", "enum": ["EUR", "CHF", "USD", "GBP"]},
            "purpose": string,
            "project": {"type": ["string", "null"]},
            "status": {"type": "string", "enum": ["approved", "refunded"]},
            "submitter": {
                "type": "object",
                "properties": {"name": string, "email": {"type": "string", "format": "email"}},
            },
            "refund": {
                "type": "object",
                "description": "PayPal address, or holder, IBAN and BIC of a bank account",
                "properties": {
                    "method": {"type": "string", "enum": ["paypal", "bank"]},
                    "paypal": string,
                    "holder": string,
                    "iban": string,
                    "bic": string,
                },
            },
            "approved_at": nullable_time,
            "refunded_at": nullable_time,
            "booked_at": nullable_time,
            "file": {
                "type": "object",
                "properties": {
                    "name": string,
                    "content_type": string,
                    "size": {"type": "integer"},
                    "url": {"type": "string", "format": "uri"},
                },
            },
        },
    }


def openapi_document(*, server: str) -> dict:
    error = {"$ref": "#/components/responses/Error"}
    pk = {"name": "pk", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OPTIGEM CX Cloud API",
            "version": "1.0.0",
            "description": (
                "Data exchange between OPTIGEM Win-Finanz and the OPTIGEM CX cloud. Every "
                "request carries an organisation's API key as a bearer token; only that "
                "organisation's receipts exist for it."
            ),
        },
        "servers": [{"url": server.rstrip("/")}],
        "security": [{"bearer": []}],
        "paths": {
            "/receipts/": {
                "get": {
                    "summary": "Approved receipts, oldest approval first",
                    "operationId": "listReceipts",
                    "parameters": [
                        {
                            "name": "since",
                            "in": "query",
                            "description": "Only receipts approved at or after this time",
                            "schema": {"type": "string", "format": "date-time"},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                        },
                        {
                            "name": "offset",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0, "maximum": 1_000_000_000},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of receipts",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "receipts": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Receipt"},
                                            },
                                            "has_more": {"type": "boolean"},
                                        },
                                    }
                                }
                            },
                        },
                        "400": error,
                        "401": error,
                    },
                }
            },
            "/receipts/{pk}/file/": {
                "get": {
                    "summary": "The receipt's file (PDF, JPEG or PNG)",
                    "operationId": "downloadReceiptFile",
                    "parameters": [pk],
                    "responses": {
                        "200": {
                            "description": "The file",
                            "content": {
                                "application/pdf": {},
                                "image/jpeg": {},
                                "image/png": {},
                            },
                        },
                        "401": error,
                        "404": error,
                    },
                }
            },
            "/receipts/{pk}/booked/": {
                "post": {
                    "summary": "Mark the receipt as booked (idempotent)",
                    "operationId": "markReceiptBooked",
                    "parameters": [pk],
                    "responses": {
                        "200": {
                            "description": "The receipt",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Receipt"}
                                }
                            },
                        },
                        "401": error,
                        "404": error,
                        "409": error,
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Receipt": _receipt_schema(),
                "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
            },
            "responses": {
                "Error": {
                    "description": "An error with a German message",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
        },
    }
