"""The gRPC services of the local server, one module per Yandex Cloud service family."""
