"""Account screens: sign-in, two-factor, step-up, security (sessions), password,
email, profile and password reset.

These act on the signed-in user's own account, never on a workspace's data,
so they check "is this your account" (ownership, 404 otherwise) rather than a
workspace permission. Sensitive changes are behind ``@step_up_required``.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from terabox_crm.accounts import (
    mfa,
    not_me,
    selectors,
    services,
    session_keys,
    signin,
    signout,
    throttle,
    tracking,
)
from terabox_crm.accounts.forms import (
    EmailChangeForm,
    EnrolForm,
    LoginForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    ProfileForm,
    SecondFactorForm,
    StepUpForm,
)
from terabox_crm.accounts.models import UserSession
from terabox_crm.accounts.stepup import step_up_required
from terabox_crm.refusals import Refusal


def _safe_next(request, default: str | None = None) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default if default is not None else reverse("web:home")


def _throttled(request, refusal: throttle.Block):
    """429 with Retry-After, and words that say when to try again — nothing else."""
    if refusal.scope == "account":
        minutes = max(1, math.ceil(refusal.retry_after / 60))
        message = ngettext(
            "There have been too many failed sign-in attempts for this account. "
            "For its protection, signing in is paused for %(minutes)d minute. "
            "Try again later, or reset your password.",
            "There have been too many failed sign-in attempts for this account. "
            "For its protection, signing in is paused for %(minutes)d minutes. "
            "Try again later, or reset your password.",
            minutes,
        ) % {"minutes": minutes}
    else:
        seconds = refusal.retry_after
        message = ngettext(
            "Too many sign-in attempts from your network. Wait %(seconds)d second and try again.",
            "Too many sign-in attempts from your network. Wait %(seconds)d seconds and try again.",
            seconds,
        ) % {"seconds": seconds}
    response = render(request, "accounts/throttled.html", {"message": message}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def _signed_in_redirect(outcome: signin.Outcome):
    response = redirect(outcome.next_url or reverse("web:home"))
    if outcome.device_cookie:
        tracking.set_device_cookie(response, outcome.device_cookie)
    return response


# --- Sign-in ---------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url)
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            outcome = signin.first_factor(
                request,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                next_url=next_url,
            )
            if outcome.status == "refused":
                return _throttled(request, outcome.refusal)
            if outcome.status == "second_factor":
                return redirect("accounts:login_verify")
            if outcome.status == "signed_in":
                return _signed_in_redirect(outcome)
            # Unknown email, wrong password, disabled account: one message, one status.
            form.add_error(None, _("The email address or password is incorrect."))
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def login_verify(request):
    user, _pending = signin.pending_user(request)
    if user is None:
        if request.method == "POST":
            messages.warning(request, _("Your sign-in took too long. Please start again."))
        return redirect("accounts:login")
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            outcome = signin.second_factor(request, code=form.cleaned_data["code"])
            if outcome.status == "refused":
                return _throttled(request, outcome.refusal)
            if outcome.status == "expired":
                messages.warning(request, _("Your sign-in took too long. Please start again."))
                return redirect("accounts:login")
            if outcome.status == "signed_in":
                if outcome.extra.get("method") == "recovery_code":
                    messages.warning(
                        request,
                        _(
                            "You signed in with a recovery code; it cannot be used again. "
                            "If you have lost your authenticator, generate new codes "
                            "or set up two-factor again."
                        ),
                    )
                return _signed_in_redirect(outcome)
            form.add_error(None, _("That code is not right. Try the current code again."))
    return render(request, "accounts/login_verify.html", {"form": form}, status=status)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        services.sign_out_record(actor=request.user, request=request)
    else:
        logout(request)  # whatever the session still held (a pending sign-in) goes too
    return signout.signed_out_response(request, notice="signed_out")


@require_safe
@never_cache
def signed_out(request, token):
    """The one-time page after a sign-out (``signout.py``): the browser has
    just cleared the site's data; this puts back the device and language
    cookies and says, in the user's language, that they are signed out.

    HEAD does not use the token up, so a link checker cannot spend it."""
    kept = signout.redeem(token, consume=request.method == "GET")
    if kept is None:
        return redirect("accounts:login")
    with translation.override(kept.language):
        response = render(
            request,
            "accounts/signed_out.html",
            {
                "notice": signout.NOTICES[kept.notice],
                "cleared": bool(settings.SIGN_OUT_CLEAR_SITE_DATA),
            },
        )
        response["Content-Language"] = kept.language
    signout.restore_cookies(response, kept)
    return response


# --- Step-up ---------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@sensitive_post_parameters("password", "code")
@never_cache
def step_up(request):
    next_url = _safe_next(request, reverse("accounts:security"))
    needs_code = mfa.confirmed_device(request.user) is not None
    form = StepUpForm(request.POST if request.method == "POST" else None, needs_code=needs_code)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            outcome = signin.step_up(
                request,
                password=form.cleaned_data["password"],
                code=form.cleaned_data.get("code"),
            )
            if outcome.status == "refused":
                return _throttled(request, outcome.refusal)
            if outcome.status == "ok":
                return redirect(next_url)
            form.add_error(
                None,
                _("The password or code is incorrect.")
                if needs_code
                else _("The password is incorrect."),
            )
    return render(
        request,
        "accounts/step_up.html",
        {"form": form, "next": next_url, "needs_code": needs_code},
        status=status,
    )


# --- Security: overview and sessions ------------------------------------------------------


@require_safe
@login_required
@never_cache
def security(request):
    return _security_page(request)


def _security_page(request, *, status: int = 200):
    sessions = selectors.session_list(request.user, request)
    return render(
        request,
        "accounts/security.html",
        {
            "sessions": sessions,
            "others": sum(1 for session in sessions if not session.is_current),
            "device": mfa.confirmed_device(request.user),
            "recovery_left": mfa.remaining_recovery_codes(request.user),
            "mfa_required": request.user.mfa_required(),
        },
        status=status,
    )


@login_required
@require_POST
def session_revoke(request, session_id):
    session = get_object_or_404(UserSession, pk=session_id, user=request.user)
    was_current = services.session_revoke(actor=request.user, session=session, request=request)
    if was_current:
        return signout.signed_out_response(request, notice="signed_out")
    messages.success(request, _("The session has been ended."))
    return redirect("accounts:security")


@login_required
@require_POST
def sign_out_everywhere(request):
    services.session_revoke_all(actor=request.user, request=request)
    return signout.signed_out_response(request, notice="everywhere")


@login_required
@require_POST
def sign_out_others(request):
    """ "Sign out everywhere else": every other session ends, this one stays."""
    count = services.session_revoke_others(actor=request.user, request=request)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)s other session was ended.", "%(count)s other sessions were ended.", count
            )
            % {"count": count},
        )
    else:
        messages.info(request, _("You were not signed in anywhere else."))
    return redirect("accounts:security")


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
@never_cache
def not_me_view(request):
    """ "This wasn't me" (S13, S14): from the new-device email's signed link
    (``?token=``), or from the user menu when signed in. GET shows what will
    happen; the POST (CSRF-checked) does it (``not_me.report``). A forged,
    expired or used link changes nothing and is a security event."""
    token = request.POST.get("token") or request.GET.get("token") or ""
    if token:
        checked = not_me.check_token(token)
        if checked.user is None:
            not_me.refuse(checked.reason)
            return render(request, "accounts/not_me.html", {"refused": checked.reason}, status=400)
        user, via = checked.user, not_me.VIA_EMAIL
    elif request.user.is_authenticated:
        user, via = request.user, not_me.VIA_MENU
    else:
        return redirect(f"{reverse('accounts:login')}?next={reverse('accounts:not_me')}")
    if request.method != "POST":
        return render(request, "accounts/not_me.html", {"token": token, "account": user})
    done = not_me.report(user=user, via=via, request=request)
    return render(
        request,
        "accounts/not_me.html",
        {
            "done": True,
            "sessions_ended": done.sessions_ended,
            "tokens_revoked": done.tokens_revoked,
        },
    )


# --- Two-factor ------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@step_up_required
@sensitive_post_parameters("code")
@never_cache
def mfa_enrol(request):
    user = request.user
    if mfa.confirmed_device(user) is not None:
        messages.info(request, _("Two-factor authentication is already on."))
        return redirect("accounts:security")
    form = EnrolForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                codes = services.totp_enrolment_confirm(
                    actor=user, code=form.cleaned_data["code"], request=request
                )
            except Refusal as error:
                form.add_error("code", str(error))
            else:
                # The code just typed proves the second factor for this session.
                request.session[session_keys.MFA_VERIFIED_AT] = signin.now()
                messages.success(request, _("Two-factor authentication is now on."))
                return render(
                    request,
                    "accounts/recovery_codes.html",
                    _recovery_codes_context(user, codes, after_enrolment=True),
                )
    device = services.totp_enrolment_start(actor=user)
    uri = mfa.provisioning_uri(device, user.email)
    return render(
        request,
        "accounts/mfa_enrol.html",
        {
            "form": form,
            # segno's output is markup we generate from our own URI: safe to inline.
            "qr_svg": mark_safe(mfa.qr_svg(uri, _("QR code for your authenticator app"))),  # noqa: S308  # nosec B308 B703  # our own SVG
            "secret": mfa.grouped(mfa.base32_secret(device)),
            "mfa_required": user.mfa_required(),
        },
        status=status,
    )


RECOVERY_CODES_FILENAME = "terabox-crm-recovery-codes.txt"


def _recovery_codes_context(user, codes: list[str], *, after_enrolment: bool) -> dict:
    """The codes, shown once, and the same as a text file to download: who
    they are for, when they were made, one code a line (S14)."""
    made = date_format(timezone.localtime(), "DATETIME_FORMAT")
    lines = [
        _("Terabox CRM recovery codes for %(email)s") % {"email": user.email},
        _("Made on %(when)s. Each code signs you in once.") % {"when": made},
        "",
        *codes,
        "",
    ]
    return {
        "codes": codes,
        "after_enrolment": after_enrolment,
        "codes_text": "\n".join(lines),
        "codes_filename": RECOVERY_CODES_FILENAME,
    }


@login_required
@require_POST
@step_up_required
@never_cache
def mfa_recovery_codes(request):
    try:
        codes = services.recovery_codes_regenerate(actor=request.user, request=request)
    except Refusal as error:
        messages.error(request, str(error))
        return redirect("accounts:security")
    return render(
        request,
        "accounts/recovery_codes.html",
        _recovery_codes_context(request.user, codes, after_enrolment=False),
    )


@login_required
@require_POST
@step_up_required
def mfa_disable(request):
    try:
        services.totp_disable(actor=request.user, request=request)
    except Refusal as error:
        # The security page again, with the refusal, as a 400: nothing changed.
        messages.error(request, str(error))
        return _security_page(request, status=400)
    request.session.pop(session_keys.MFA_VERIFIED_AT, None)
    messages.success(request, _("Two-factor authentication is now off."))
    return redirect("accounts:security")


# --- Password, email, profile ---------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@step_up_required
@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def change_password(request):
    form = NewPasswordForm(request.user, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            ended = services.password_change(
                actor=request.user, new_password=form.cleaned_data["new_password1"], request=request
            )
            messages.success(
                request,
                ngettext(
                    "Your password has been changed. %(count)d other session was signed out.",
                    "Your password has been changed. %(count)d other sessions were signed out.",
                    ended,
                )
                % {"count": ended},
            )
            return redirect("accounts:security")
    return render(request, "accounts/password_change.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@step_up_required
@never_cache
def change_email(request):
    form = EmailChangeForm(request.user, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            services.email_change_request(
                actor=request.user, new_email=form.cleaned_data["email"], request=request
            )
            return render(
                request, "accounts/email_change_sent.html", {"email": form.cleaned_data["email"]}
            )
    return render(request, "accounts/email_change.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def confirm_email(request, token):
    change = services.email_change_pending(token)
    if request.method == "POST":
        try:
            services.email_change_confirm(token=token)
        except Refusal as error:
            return render(request, "accounts/email_confirm.html", {"error": str(error)}, status=400)
        messages.success(request, _("Your email address has been changed."))
        return redirect("accounts:security" if request.user.is_authenticated else "accounts:login")
    if change is None:
        return render(
            request,
            "accounts/email_confirm.html",
            {"error": _("This link has expired or has already been used.")},
            status=400,
        )
    return render(request, "accounts/email_confirm.html", {"new_email": change.new_email})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@never_cache
def profile(request):
    user = request.user
    initial = {"display_name": user.display_name, "language": user.language}
    form = ProfileForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            services.profile_update(
                actor=user,
                display_name=form.cleaned_data["display_name"],
                language=form.cleaned_data["language"],
                request=request,
            )
            if user.language:
                from django.utils import translation

                translation.activate(user.language)
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form}, status=status)


# --- Password reset --------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
@never_cache
def password_reset(request):
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            limiter = throttle.default()
            ip = tracking.client_ip(request)
            refusal = limiter.check(ip=ip) or limiter.attempt(ip=ip)
            if refusal is not None:
                return _throttled(request, refusal)
            services.password_reset_request(email=form.cleaned_data["email"])
            return redirect("accounts:password_reset_sent")
    return render(request, "accounts/password_reset.html", {"form": form}, status=status)


@require_safe
def password_reset_sent(request):
    return render(request, "accounts/password_reset_sent.html")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's token handling (the token leaves the URL at once), our form and service."""

    # Not FormView's PUT (an alias of POST): a form page serves GET and POST.
    http_method_names = ["get", "head", "post", "options"]
    form_class = NewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form):
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        services.password_reset(user=self.user, new_password=form.cleaned_data["new_password1"])
        messages.success(
            self.request,
            _(
                "Your password has been reset and every session signed out. Sign in with the new password."
            ),
        )
        return redirect(self.success_url)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        if not context.get("validlink"):
            response.status_code = 400
        return response
