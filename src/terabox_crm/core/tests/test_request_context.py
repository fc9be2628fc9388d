from django.test import RequestFactory, override_settings

from terabox_crm.core.middleware import client_ip


@override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_client_ip_ignores_a_forwarded_for_header_the_client_wrote():
    request = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert client_ip(request) == "203.0.113.7"


def test_response_carries_the_request_id_it_was_given(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] == "abc123"


def test_a_malformed_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\r\nx")
    assert response["X-Request-ID"] != "bad id\r\nx"
    assert response["X-Request-ID"].isalnum()
