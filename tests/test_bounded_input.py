"""Bounded input everywhere: every text field of every form refuses one character over its column.

The walker discovers its cases: every Form class defined in the project's ``forms`` and ``admin``
modules, and the add form of every ModelAdmin registered on the admin site (posted over HTTP as a
superuser). For each text field it takes the limit from the form field's ``max_length`` or, for a
ModelForm, from the model column, and posts one character more; it also posts NUL into every text
field and CRLF into header-bound ones. A field the walker cannot bound fails the test unless it is
listed in UNBOUNDED with the reason. The public and CX pages with a form (HTTP_PAGES) are also
posted over HTTP with the test client, as a visitor or a signed-in CX administrator, one field
over its limit at a time. Runs on PostgreSQL, which enforces column lengths.
"""

import contextlib
import importlib
import inspect

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

PROJECT_APPS = ("contact", "consent", "newsletter", "dsar", "cloud", "privacy")

# Text fields with no length limit of their own, each with the reason it is safe.
UNBOUNDED = {
    ("SignInForm", "password"): "checked against the hash, never stored",
    ("InvitationAcceptForm", "password"): "hashed before storing",
    ("InvitationAcceptForm", "password_again"): "compared only",
    ("PasswordConfirmForm", "password"): "checked against the hash, never stored",
    ("RectifyForm", "value"): "the target column varies; the service validates it with the column",
    ("InquiryForm", "submission_key"): "parsed to a UUID, a mangled key is replaced, never stored",
}
for _form in ("ContactForm", "SupportForm", "TrainingForm"):
    UNBOUNDED[(_form, "submission_key")] = UNBOUNDED[("InquiryForm", "submission_key")]

# Fields whose value goes into a mail header: CRLF must be refused.
HEADER_BOUND = {
    ("ContactForm", "name"),
    ("ContactForm", "subject"),
    ("SupportForm", "name"),
    ("SupportForm", "subject"),
    ("TrainingForm", "name"),
}

# Forms whose constructor needs more than data; every other form is built as cls(data=...).
FACTORIES = {
    "SubscribeForm": lambda cls, data: cls(data, language="de"),
    "SignInForm": lambda cls, data: cls(RequestFactory().post("/"), data),
    "PasswordConfirmForm": lambda cls, data: cls(get_user_model()(), data),
}


def scope_for(cls):
    """The receipt form lists the organisation's projects, so it is built inside a tenant scope."""
    if cls.__name__ != "ReceiptForm":
        return contextlib.nullcontext()
    from cloud.tenancy import Tenant, tenant_scope
    from cloud.tests.factories import make_organisation

    return tenant_scope(Tenant(organisation=make_organisation()))


def project_form_classes() -> list[type[forms.BaseForm]]:
    found = {}
    for app in PROJECT_APPS:
        for module_name in (f"{app}.forms", f"{app}.admin"):
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                continue
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == module_name:
                    found[cls.__qualname__] = cls
    return [found[name] for name in sorted(found)]


def limit_of(form: forms.BaseForm, name: str, field: forms.Field) -> int | None:
    if max_length := getattr(field, "max_length", None):
        return max_length
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is not None:
        try:
            return model._meta.get_field(name).max_length
        except Exception:  # a form-only field has no column
            return None
    return None


def text_fields(form: forms.BaseForm):
    for name, field in form.fields.items():
        if isinstance(field, forms.CharField | forms.EmailField) and not isinstance(
            field, forms.SlugField | forms.UUIDField
        ):
            yield name, field


def overlong(field: forms.Field, limit: int) -> str:
    if isinstance(field, forms.EmailField):
        return "a" * (limit + 1 - len("@example.org")) + "@example.org"
    return "x" * (limit + 1)


def build(cls, data):
    return FACTORIES.get(cls.__name__, lambda c, d: c(data=d))(cls, data)


@pytest.mark.parametrize("cls", project_form_classes(), ids=lambda c: c.__qualname__)
def test_every_text_field_of_every_form_is_bounded(db, cls):
    with scope_for(cls):
        walk_form(cls)


def walk_form(cls):
    form = build(cls, {})
    fields = list(text_fields(form))
    for name, field in fields:
        key = (cls.__name__, name)
        if key in UNBOUNDED:
            continue
        limit = limit_of(form, name, field)
        assert limit is not None, f"{cls.__qualname__}.{name} has no limit"
        bound = build(cls, {name: overlong(field, limit)})
        assert not bound.is_valid()
        assert name in bound.errors, f"{cls.__qualname__}.{name} accepts {limit + 1} characters"
        if isinstance(field.widget, forms.HiddenInput | forms.PasswordInput):
            continue
        nul = build(cls, {name: "a\x00b@example.org"})
        assert name in nul.errors, f"{cls.__qualname__}.{name} accepts NUL"
        if key in HEADER_BOUND:
            crlf = build(cls, {name: "a\r\nBcc: x@example.org"})
            assert name in crlf.errors, f"{cls.__qualname__}.{name} accepts CRLF"


# Model text columns written by code, not typed into a form of their own, each with the reason.
UNBOUNDED_COLUMNS = {
    "cloud.Receipt.refund_account_encrypted": "ciphertext written by the service",
    "cloud.Receipt.review_comment": "written only from ReviewForm.comment (max_length 2000)",
}


def test_every_typed_text_column_has_a_limit():
    """A TextField without max_length gives its admin or ModelForm field no limit either."""
    from django.apps import apps

    missing = [
        f"{model._meta.label}.{field.name}"
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if getattr(field, "get_internal_type", lambda: "")() == "TextField"
        and field.editable
        and field.max_length is None
    ]
    assert sorted(set(missing) - set(UNBOUNDED_COLUMNS)) == []


def test_walker_found_the_forms():
    names = {cls.__qualname__ for cls in project_form_classes()}
    assert {"ContactForm", "SupportForm", "TrainingForm", "SubscribeForm", "ConsentForm"} <= names
    assert {"SignInForm", "ReceiptForm", "InvitationForm", "LegalHoldForm"} <= names


@pytest.fixture
def admin_client_(client, django_user_model):
    return admin_login(client, django_user_model)


def admin_login(client, django_user_model):
    """Sign in as a superuser. The one place to adapt when the admin asks for a second factor."""
    user = django_user_model.objects.create_superuser("walker", "walker@example.org", "pw-walker-1")
    client.force_login(user)
    return client


def admin_add_urls() -> list[tuple[str, str]]:
    urls = []
    for model in admin.site._registry:
        opts = model._meta
        try:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        except NoReverseMatch:
            continue
        urls.append((f"{opts.app_label}.{opts.model_name}", url))
    return sorted(urls)


@pytest.mark.parametrize(
    "label,url", admin_add_urls(), ids=[label for label, _ in admin_add_urls()]
)
def test_admin_add_form_refuses_overlong_input(postgres, admin_client_, label, url):
    shown = admin_client_.get(url)
    if shown.status_code == 403:
        return  # the admin offers no add form for this model (has_add_permission is False)
    assert shown.status_code == 200, (label, shown.status_code)
    form = shown.context["adminform"].form
    for name, field in text_fields(form):
        if isinstance(field.widget, forms.HiddenInput | forms.PasswordInput):
            continue  # Django's own password fields are hashed, hidden ones are not typed
        limit = limit_of(form, name, field)
        assert limit is not None, f"{label}.{name} has no length limit"
        value = overlong(field, limit)
        response = admin_client_.post(url, {name: value})
        assert response.status_code == 200, (label, name, response.status_code)
        errors = response.context["adminform"].form.errors
        assert name in errors, f"{label}.{name} takes {limit + 1}"
        assert value in response.content.decode(), f"{label}.{name}: the typed text is lost"


CONTACT_FORMS = {
    "contact:contact": {"name": "Ada", "email": "ada@example.org", "message": "Hallo"},
    "contact:support": {
        "name": "Ada",
        "email": "ada@example.org",
        "subject": "Frage",
        "message": "Hallo",
    },
}


@pytest.mark.parametrize("url_name", CONTACT_FORMS)
def test_public_contact_form_overlong_guardian_address_is_a_form_error(postgres, client, url_name):
    guardian = "g" * 290 + "@example.org"
    data = {**CONTACT_FORMS[url_name], "is_minor": "on", "guardian_email": guardian}
    response = client.post(reverse(url_name), data)
    assert response.status_code == 200
    assert "guardian_email" in response.context["form"].errors


# Over HTTP: the public and CX pages with a form, as their visitors post them. Each text field of
# each form on the page is posted one character over its limit on its own; the page answers
# 200 with the error on that field and the typed text kept (passwords and hidden keys aside).
def _cx_member(client):
    from cloud.models import Role
    from cloud.tests.factories import make_member, make_organisation, sign_in

    membership = make_member(organisation=make_organisation(), role=Role.MAIN_ADMIN)
    sign_in(client, membership.user)
    return {"org": membership.organisation.slug}


def _event(client):
    from contact.tests.factories import make_event

    return {"event": make_event().slug}


HTTP_PAGES = {
    "contact:contact": None,
    "contact:support": None,
    "contact:training": _event,
    "newsletter:subscribe": None,
    "cloud:login": None,
    "cloud:receipt_new": _cx_member,
    "cloud:projects": _cx_member,
    "cloud:members": _cx_member,
    "cloud:tokens": _cx_member,
}


def forms_on(response) -> list[forms.BaseForm]:
    seen = {}
    contexts = response.context if isinstance(response.context, list) else [response.context]
    for context in contexts:
        for value in context.flatten().values():
            if isinstance(value, forms.BaseForm):
                seen[id(value)] = value
    return list(seen.values())


@pytest.mark.parametrize("url_name", HTTP_PAGES)
def test_each_page_form_refuses_overlong_input_over_http(postgres, client, settings, url_name):
    from django.core.cache import caches

    caches["default"].clear()
    settings.CONTACT_RATE_LIMIT = settings.NEWSLETTER_SIGNUP_RATE_LIMIT = 10**6
    make_kwargs = HTTP_PAGES[url_name]
    url = reverse(url_name, kwargs=make_kwargs(client) if make_kwargs else None)
    shown = client.get(url)
    assert shown.status_code == 200, (url_name, shown.status_code)
    page_forms = forms_on(shown)
    assert page_forms, f"{url_name}: no form found"
    checked = 0
    for form in page_forms:
        for name, field in text_fields(form):
            if (type(form).__name__, name) in UNBOUNDED:
                continue
            if isinstance(field.widget, forms.HiddenInput | forms.PasswordInput):
                continue
            limit = limit_of(form, name, field)
            assert limit is not None, f"{url_name} {type(form).__name__}.{name} has no limit"
            value = overlong(field, limit)
            response = client.post(url, {form.add_prefix(name): value})
            assert response.status_code == 200, (url_name, name, response.status_code)
            refused = [f for f in forms_on(response) if type(f) is type(form) and f.is_bound]
            assert refused and name in refused[0].errors, f"{url_name}.{name} takes {limit + 1}"
            assert value in response.content.decode(), f"{url_name}.{name}: the typed text is lost"
            checked += 1
    assert checked, f"{url_name}: no text field checked"
