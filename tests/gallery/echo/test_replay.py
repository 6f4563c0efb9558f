from chanreplay.testing import ReplayTestCase


class EchoTests(ReplayTestCase):
    def test_echo_session(self):
        self.replay("echo")


def test_echo_session(replay):
    replay("echo")
