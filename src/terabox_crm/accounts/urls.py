from django.urls import path

from terabox_crm.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("signed-out/<str:token>/", views.signed_out, name="signed_out"),
    path("step-up/", views.step_up, name="step_up"),
    path("security/", views.security, name="security"),
    path(
        "security/sessions/<uuid:session_id>/revoke/",
        views.session_revoke,
        name="session_revoke",
    ),
    path("not-me/", views.not_me_view, name="not_me"),
    path("security/sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("security/sign-out-others/", views.sign_out_others, name="sign_out_others"),
    path("two-factor/enrol/", views.mfa_enrol, name="mfa_enrol"),
    path("two-factor/recovery-codes/", views.mfa_recovery_codes, name="mfa_recovery_codes"),
    path("two-factor/disable/", views.mfa_disable, name="mfa_disable"),
    path("password/", views.change_password, name="change_password"),
    path("email/", views.change_email, name="change_email"),
    path("email/confirm/<str:token>/", views.confirm_email, name="confirm_email"),
    path("profile/", views.profile, name="profile"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_sent, name="password_reset_sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
]
