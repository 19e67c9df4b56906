"""The fixture module heat-tempest-plugin's gabbits name
(``AuthenticationFixture``). Under noauth the token is not checked: the
project is the noauth default ("admin"), the one the gabbits' URL names."""

import os
import uuid

from gabbi import fixture


class AuthenticationFixture(fixture.GabbiFixture):
    """Sets what the gabbits read from the environment: OS_TOKEN, PREFIX."""

    def start_fixture(self) -> None:
        os.environ.setdefault('OS_TOKEN', 'noauth-token')
        os.environ['PREFIX'] = 'api-%s' % uuid.uuid4().hex[:8]

    def stop_fixture(self) -> None:
        pass
