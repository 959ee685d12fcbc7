"""What the cloud's pages share: the safe ``next`` target, errors as messages, the account."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from ..access import SignedInRequest
from ..models import Account


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def form_errors_to_messages(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def cloud_account(request: SignedInRequest) -> Account:
    account = Account.objects.filter(user=request.user).first()
    if account is None:
        raise Http404
    return account
