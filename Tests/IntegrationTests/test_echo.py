"""C-ECHO against `autoseg serve` from three different peers, and `autoseg echo` itself."""
from conftest import (free_port, pn_echo, rejection, associate, run_autoseg, run_echoscu)


def test_echoscu(node):
    res = run_echoscu(node.port, calling="ECHOSCU")
    assert res.returncode == 0, f"/usr/bin/echoscu failed ({res.returncode}): {res.stderr.strip()}"


def test_pynetdicom_echo(node):
    assert pn_echo(node.port, calling="PYECHO") == 0x0000


def test_pynetdicom_echo_repeated_on_one_association(node):
    assoc = associate(node.port, calling="PYECHO")
    assert assoc.is_established, f"association refused: {rejection(assoc)}"
    try:
        for _ in range(20):
            st = assoc.send_c_echo()
            assert "Status" in st and st.Status == 0x0000, f"C-ECHO answered {st}"
    finally:
        assoc.release()


def test_autoseg_echo(node, autoseg_bin):
    res = run_autoseg(autoseg_bin, "echo", node.addr, "--calling-ae", "CLIECHO", timeout=60)
    assert res.returncode == 0, (f"`autoseg echo {node.addr}` exited {res.returncode}\n"
                                 f"stdout: {res.stdout}\nstderr: {res.stderr}")


def test_autoseg_echo_nobody_listening(autoseg_bin):
    port = free_port()
    res = run_autoseg(autoseg_bin, "echo", f"AUTOSEG@127.0.0.1:{port}", timeout=60)
    assert res.returncode == 1, (f"`autoseg echo` to a closed port exited {res.returncode}, "
                                 f"expected 1\nstderr: {res.stderr}")


def test_autoseg_echo_rejected_caller(node_factory, autoseg_bin):
    node = node_factory("node", config={"security": {"allowed_callers": ["GOODECHO"]}})
    bad = run_autoseg(autoseg_bin, "echo", node.addr, "--calling-ae", "BADECHO", timeout=60)
    assert bad.returncode == 1, (f"`autoseg echo --calling-ae BADECHO` to a node allowing only "
                                 f"GOODECHO exited {bad.returncode}, expected 1\nstderr: {bad.stderr}")
    good = run_autoseg(autoseg_bin, "echo", node.addr, "--calling-ae", "GOODECHO", timeout=60)
    assert good.returncode == 0, f"allowed caller: exited {good.returncode}\nstderr: {good.stderr}"


def test_autoseg_echo_bad_usage(autoseg_bin):
    res = run_autoseg(autoseg_bin, "echo", "not-an-address", timeout=60)
    assert res.returncode == 2, (f"`autoseg echo not-an-address` exited {res.returncode}, "
                                 f"expected 2 (bad usage)\nstderr: {res.stderr}")
