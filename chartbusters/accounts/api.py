from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chartbusters.accounts.models import ApiToken, User
from chartbusters.accounts.selectors import api_token_list
from chartbusters.accounts.services import api_token_create, api_token_revoke
from chartbusters.core.errors import ApplicationError


class UserOutput(serializers.ModelSerializer[User]):
    public_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ("id", "username", "public_name", "email", "role", "date_joined")


class TokenOutput(serializers.Serializer[object]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class TokenCreatedOutput(TokenOutput):
    key = serializers.CharField(help_text="The secret key. Shown only in this response.")


class TokenCreateInput(serializers.Serializer[object]):
    name = serializers.CharField(max_length=60)


def _user(request: Request) -> User:
    assert isinstance(request.user, User)  # guaranteed by IsAuthenticated
    return request.user


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=UserOutput, summary="The signed-in user")
    def get(self, request: Request) -> Response:
        return Response(UserOutput(_user(request)).data)


class TokenListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=TokenOutput(many=True), summary="Your API tokens")
    def get(self, request: Request) -> Response:
        tokens = api_token_list(user=_user(request))
        return Response(TokenOutput(tokens, many=True).data)

    @extend_schema(
        request=TokenCreateInput,
        responses={201: TokenCreatedOutput},
        summary="Create an API token (its key is returned once)",
        description="Only from a signed-in session: a token cannot create tokens. Every "
        "token is revoked when its owner's password changes or they log out everywhere.",
    )
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, ApiToken):
            # A token that could mint tokens would let a stolen key outlive its own
            # revocation; new keys come only from a signed-in (password) session.
            raise ApplicationError(
                "Create API tokens from a signed-in session (your profile page), not with a token.",
                code="session_required",
                status=403,
            )
        data = TokenCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = api_token_create(user=_user(request), name=data.validated_data["name"])
        body = dict(TokenOutput(token).data, key=key)
        return Response(body, status=status.HTTP_201_CREATED)


class TokenRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None}, summary="Revoke one of your API tokens")
    def delete(self, request: Request, token_id: int) -> Response:
        api_token_revoke(user=_user(request), token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
