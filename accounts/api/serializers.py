from rest_framework import serializers

from accounts.models import ApiToken


class ApiTokenSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)
    expires_in_days = serializers.IntegerField(write_only=True, min_value=1, max_value=365, default=90)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "user", "key_id", "created_at", "expires_at", "expires_in_days", "last_used_at",
                  "revoked_at", "is_active"]  # fmt: skip
        read_only_fields = ["key_id", "created_at", "expires_at", "last_used_at", "revoked_at"]


class IssuedApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once. Store it now; it cannot be shown again.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
