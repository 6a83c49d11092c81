from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.http import HttpRequest

from chartbusters.accounts.models import ApiToken, User
from chartbusters.accounts.services import DISPLAY_NAME_TAKEN, name_in_use, user_set_role
from chartbusters.accounts.signals import public_name_changed


class UserChangeForm(DjangoUserChangeForm):
    """The admin's form: a display name may not pass for another member (emails are
    unique by the model's constraint, which the form checks)."""

    def clean_display_name(self) -> str:
        name = str(self.cleaned_data.get("display_name", "")).strip()
        if name and name_in_use(name, user=self.instance):
            raise forms.ValidationError(DISPLAY_NAME_TAKEN)
        return name


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    list_display = (
        "username", "email", "email_verified", "display_name", "role", "is_staff", "date_joined"
    )  # fmt: skip
    list_filter = ("role", "email_verified", "is_staff", "is_superuser", "is_active")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Chartbusters", {"fields": ("role", "display_name", "bio", "email_verified")}),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not change:
            obj.email_verified = True  # a host vouches for the accounts they make
        super().save_model(request, obj, form, change)
        # The role decides admin access; keep is_staff in step with it.
        user_set_role(user=obj, role=obj.role)
        if change and {"display_name", "username"} & set(form.changed_data):
            public_name_changed.send(sender=None, user_id=obj.pk)  # boards show the name


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at", "owner_auth_hash")
