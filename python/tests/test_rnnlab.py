"""Tests of the rnnlab Python module (tests/sh_python.sh runs them with /usr/bin/python3).

Environment: RNNLAB_DATA (the data root holding music/jsb_chorales.mat), RNNLAB_TOOL (the
rnnlab tool of the same build, for numbers computed by another program), RNNLAB_HEADER
(include/rnnlab.h). The numbers are checked against references computed here independently:
the paper's GRU and the tanh unit written out in numpy, PyTorch's own modules, the tool.
The PyTorch tests are skipped when torch cannot be imported.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

import numpy as np

import rnnlab

ROOT = os.environ["RNNLAB_DATA"]
TOOL = os.environ["RNNLAB_TOOL"]
HEADER = os.environ["RNNLAB_HEADER"]
SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(HEADER)), "..", "scripts")
try:
    import torch
    from rnnlab import torch_bridge
except ImportError:
    torch = None


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def tool_eval(model, split="test"):
    out = subprocess.run([TOOL, "eval", "--model", model, "--data", "jsb", "--data-root", ROOT, "--split", split,
                          "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["nll"]


def rolls(d, split, n=None):
    """The split's piano rolls [T, 88] rebuilt from (x, y): frame 0 = x[0], then y."""
    out = []
    for i in range(d.count(split) if n is None else n):
        x, y = d.sequence(split, i)
        out.append(np.concatenate([x[:1], y]).astype(np.uint8) if len(x) else np.zeros((0, 88), np.uint8))
    return out


# The paper's units in numpy (paper.md §1; include/rnnlab.h's tensor names), float64.
def sig(v):
    return 1 / (1 + np.exp(-v))


def np_nll(P, cell, x, y):
    """Bernoulli NLL summed over the steps of one sequence x, y [T, 88], one layer."""
    H = P["out.W"].shape[1]
    h, total = np.zeros(H), 0.0
    g = lambda k, xt, hh: P["rnn.0.W" + k] @ xt + P["rnn.0.U" + k] @ hh + P["rnn.0.b" + k]
    for t in range(len(x)):
        if cell == "tanh":
            h = np.tanh(g("", x[t], h))
        else:
            z, r = sig(g("_z", x[t], h)), sig(g("_r", x[t], h))
            h = (1 - z) * h + z * np.tanh(g("_h", x[t], r * h))
        a = P["out.W"] @ h + P["out.b"]
        total += np.sum(np.logaddexp(0, a) - y[t] * a)
    return total


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.jsb = rnnlab.Dataset("jsb", root=ROOT)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)


class TestLibrary(Base):
    def test_version_is_the_headers(self):
        want = re.search(r'#define RNL_VERSION "([^"]+)"', read(HEADER)).group(1)
        self.assertEqual(rnnlab.version(), want)

    def test_errors_carry_the_message_and_status(self):
        with self.assertRaises(rnnlab.RnnlabError) as e:
            rnnlab.Model.load(self.path("nope.safetensors"))
        self.assertEqual((e.exception.status, e.exception.kind), (4, "io"))
        self.assertIn("nope.safetensors: cannot open", str(e.exception))
        with self.assertRaises(rnnlab.RnnlabError) as e:
            rnnlab.Dataset("mnist", root=ROOT)
        self.assertEqual(e.exception.status, 2)
        self.assertIn("mnist", str(e.exception))
        with self.assertRaises(rnnlab.RnnlabError) as e:
            rnnlab.train(data="jsb", out=self.path("x"), no_such_option=1)
        self.assertEqual(e.exception.status, 2)
        self.assertIn("unknown option 'no_such_option'", str(e.exception))
        with self.assertRaises(rnnlab.RnnlabError) as e:
            rnnlab.train(data="jsb", out=self.path("x"), lr="-1")
        self.assertEqual(e.exception.status, 2)
        self.assertIn("--lr", str(e.exception))
        with self.assertRaises(rnnlab.RnnlabError) as e:
            rnnlab.train(data="jsb", data_root=ROOT, cell="gru", forget_bias=1, out=self.path("x"))
        self.assertEqual(e.exception.status, 2)
        self.assertIn("--forget-bias", str(e.exception))
        self.assertNotIn("\n", str(e.exception))
        self.assertFalse(os.path.exists(self.path("x")))

    def test_options_are_the_tables(self):
        opts = rnnlab.train_options()
        for k in ("data", "cell", "hidden", "lr", "max_epochs", "patience", "seed", "out"):
            self.assertIn(k, opts)
        helptext = subprocess.run([TOOL, "train", "--help"], capture_output=True, text=True).stdout
        for k in opts:
            self.assertIn("--" + k.replace("_", "-"), helptext)

    def test_dataset_sequences(self):
        d = self.jsb
        self.assertEqual((d.kind, d.input, d.output), ("music", 88, 88))
        self.assertEqual([d.count(s) for s in ("train", "valid", "test")], [229, 76, 77])
        x, y = d.sequence("test", 0)
        np.testing.assert_array_equal(x[1:], y[:-1])          # next-frame prediction
        self.assertTrue(set(np.unique(x)) <= {0.0, 1.0})
        with self.assertRaises(rnnlab.RnnlabError):
            d.sequence("test", 77)

    def test_nll_and_step_match_numpy(self):
        for cell in ("tanh", "gru"):
            m = rnnlab.Model.create(cell, "paper", 88, 7, 88, seed=5)
            P = {k: v.astype(np.float64) for k, v in m.tensors().items()}
            for i in range(3):
                x, y = self.jsb.sequence("test", i)
                ref = np_nll(P, cell, x, y)
                self.assertLess(rel(m.nll(x, y), ref), 1e-5, f"{cell} sequence {i}")
                _, logits = m.forward(x, y)
                st = m.state(1)
                steps = np.stack([m.step(x[t], st)[0] for t in range(len(x))])
                np.testing.assert_allclose(steps, logits[:, 0, :], rtol=1e-5, atol=1e-5)
            # A padded batch: the sum of its sequences' NLLs.
            seqs = [self.jsb.sequence("test", i) for i in (0, 1, 2)]
            seqs.sort(key=lambda s: -len(s[0]))
            T = len(seqs[0][0])
            xb, yb = np.zeros((T, 3, 88)), np.zeros((T, 3, 88))
            for b, (x, y) in enumerate(seqs):
                xb[:len(x), b], yb[:len(y), b] = x, y
            want = sum(np_nll(P, cell, x, y) for x, y in seqs)
            self.assertLess(rel(m.nll(xb, yb, [len(s[0]) for s in seqs]), want), 1e-5)

    def test_tensors_round_trip_through_a_checkpoint(self):
        m = rnnlab.Model.create("lstm", "paper", 88, 5, 88, layers=2, seed=2)
        t = m.tensors()
        self.assertIn("rnn.1.v_f", t)
        t["out.b"][:] = 0.25
        m.set_tensors(t)
        m.set_metadata(data_name="jsb")
        m.save(self.path("lstm.safetensors"))
        back = rnnlab.Model.load(self.path("lstm.safetensors"))
        self.assertEqual(back.config, m.config)
        self.assertEqual(back.metadata["data_name"], "jsb")
        for k, v in t.items():
            np.testing.assert_array_equal(back.tensors()[k], v)
        with self.assertRaises(ValueError):
            m.set_tensors({k: v for k, v in t.items() if k != "out.W"})


class TestWorkflow(Base):
    def test_train_evaluate_resume_sample(self):
        run, events = self.path("run"), []
        s = rnnlab.train(data="jsb", data_root=ROOT, cell="gru", hidden=8, max_epochs=2, seed=4, out=run,
                         progress=events.append)
        kinds = [e["kind"] for e in events]
        self.assertEqual((kinds[0], kinds[-1], kinds.count("epoch")), ("start", "done", 2))
        self.assertEqual(events[-1]["test_nll"], s["test_nll"])
        m = rnnlab.Model.load(os.path.join(run, "model.safetensors"))
        r = rnnlab.evaluate(m, "jsb", "test", root=ROOT)
        self.assertEqual(r["steps"], 4648)
        self.assertLess(rel(r["nll"], tool_eval(m.path)), 1e-12)
        # The trained GRU's test NLL by the numpy reference.
        P = {k: v.astype(np.float64) for k, v in m.tensors().items()}
        seqs = [self.jsb.sequence("test", i) for i in range(77)]
        per = [np_nll(P, "gru", *q) for q in seqs]
        self.assertLess(rel(r["nll"], sum(per) / 4648), 1e-5)
        # The other convention: the mean over sequences of each one's NLL per predicted frame.
        means = [v / len(q[0]) for v, q in zip(per, seqs) if len(q[0]) > 0]
        self.assertLess(rel(r["nll_seq_mean"], sum(means) / len(means)), 1e-5)
        # Stop from the callback after the first epoch of a resume, then resume to the end:
        # the model is that of an uninterrupted 4-epoch run.
        with self.assertRaises(rnnlab.RnnlabError) as e:
            rnnlab.resume(run, max_epochs=4, progress=lambda ev: ev["kind"] == "epoch")
        self.assertEqual(e.exception.kind, "stopped")
        rnnlab.resume(run, max_epochs=4)
        self.assertEqual(read(os.path.join(run, "metrics.csv")).splitlines()[-1].split(",")[0], "4")
        straight = self.path("straight")
        subprocess.run([TOOL, "train", "--data", "jsb", "--data-root", ROOT, "--cell", "gru", "--hidden", "8",
                        "--max-epochs", "4", "--seed", "4", "--out", straight, "--quiet"], check=True,
                       capture_output=True)
        self.assertEqual(read(os.path.join(run, "model.safetensors"), "rb"),
                         read(os.path.join(straight, "model.safetensors"), "rb"))
        with self.assertRaises(rnnlab.RnnlabError) as e:
            rnnlab.resume(run, hidden=9)
        self.assertIn("--hidden cannot change", str(e.exception))
        # Sampling: deterministic by seed, the prime kept, 0/1 keys.
        m = rnnlab.Model.load(os.path.join(run, "model.safetensors"))
        a = rnnlab.sample_music(m, 24, prime="jsb:test:0", seed=9, root=ROOT)
        b = rnnlab.sample_music(m, 24, prime="jsb:test:0", seed=9, root=ROOT)
        x, _ = self.jsb.sequence("test", 0)
        np.testing.assert_array_equal(a, b)
        self.assertEqual(a.shape, (len(x) + 1 + 24, 88))
        np.testing.assert_array_equal(a[:len(x)], x)
        self.assertTrue(set(np.unique(a)) <= {0, 1})
        c = rnnlab.sample_music(m, 24, seed=10)
        self.assertEqual(c.shape, (24, 88))
        rnnlab.write_midi(self.path("s.mid"), a, fpq=m.frame())
        self.assertEqual(read(self.path("s.mid"), "rb")[:4], b"MThd")

    def test_train_on_numpy_sequences(self):
        rng = np.random.default_rng(0)
        seqs = [(rng.random((n, 88)) < 0.1).astype(np.uint8) for n in (12, 9, 15, 7)]
        data = self.path("mine.mat")
        rnnlab.write_music(data, seqs[:2], seqs[2:3], seqs[3:])
        d = rnnlab.Dataset(data)
        self.assertEqual([d.count(s) for s in (0, 1, 2)], [2, 1, 1])
        for k, s in ((0, seqs[0]), (1, seqs[2]), (2, seqs[3])):
            x, y = d.sequence(k, 0)
            np.testing.assert_array_equal(x, s[:-1])
            np.testing.assert_array_equal(y, s[1:])
        s = rnnlab.train(data=data, cell="lstm", hidden=4, max_epochs=2, out=self.path("mine"))
        self.assertTrue(np.isfinite(s["test_nll"]))
        with self.assertRaises(rnnlab.RnnlabError) as e:
            rnnlab.write_music(self.path("bad.mat"), [np.full((3, 88), 2)])
        self.assertEqual(e.exception.status, 2)

    def test_speech_data_and_evaluation(self):
        d = rnnlab.Dataset("fsdd", root=ROOT)
        self.assertEqual((d.kind, d.input, d.output), ("speech", 20, 10))
        self.assertGreater(d.std, 0)
        x, y = d.sequence("test", 0)
        np.testing.assert_array_equal(x[1:, :10], x[:-1, 10:])   # windows move by O = 10 samples
        np.testing.assert_array_equal(x[1:, 10:], y[:-1])
        m = rnnlab.Model.create("gru", "paper", 20, 4, 10, head="mog", mixtures=3, seed=1)
        m.set_metadata(data_name="fsdd", data_mean=d.mean, data_std=d.std, split_scheme="index")
        path = self.path("speech.safetensors")
        m.save(path)
        r = rnnlab.evaluate(rnnlab.Model.load(path), "fsdd", "valid", root=ROOT)
        # bits per sample of the 16-bit signal (docs/SPEECH.md): nll / O + ln(std * 32768), in bits.
        self.assertLess(rel(r["bits_per_sample"], (r["nll"] / 10 + np.log(d.std * 32768)) / np.log(2)), 1e-12)
        out = json.loads(subprocess.run([TOOL, "eval", "--model", path, "--data", "fsdd", "--data-root", ROOT,
                                         "--split", "valid", "--json"], capture_output=True, text=True,
                                        check=True).stdout)
        self.assertLess(rel(r["nll"], out["nll"]), 1e-12)
        self.assertLess(rel(r["bits_per_sample"], out["bits_per_sample"]), 1e-12)

    def test_speech_sampling(self):
        m = rnnlab.Model.create("gru", "paper", 20, 6, 10, head="mog", mixtures=2, seed=3)
        m.set_metadata(data_mean=0.0, data_std=0.1)
        a = rnnlab.sample_speech(m, 0.1, self.path("a.wav"), seed=5)
        b = rnnlab.sample_speech(m, 0.1, self.path("b.wav"), seed=5)
        self.assertEqual(a.shape, (800,))
        np.testing.assert_array_equal(a, b)


@unittest.skipIf(torch is None, "torch cannot be imported")
class TestTorch(Base):
    def test_rnnlab_to_torch(self):
        for cell in ("gru", "lstm", "tanh"):
            run = self.path("t_" + cell)
            rnnlab.train(data="jsb", data_root=ROOT, cell=cell, variant="pytorch" if cell != "tanh" else "paper",
                         hidden=6, max_epochs=1, out=run)
            path = os.path.join(run, "model.safetensors")
            rnn, out = torch_bridge.to_torch(path)
            s, n = torch_bridge.torch_nll(rnn, out, rolls(self.jsb, "test"))
            self.assertEqual(n, 4648)
            self.assertLess(rel(s / n, tool_eval(path)), 1e-6, cell)
        with self.assertRaises(rnnlab.RnnlabError) as e:
            torch_bridge.to_torch(rnnlab.Model.create("gru", "paper", 88, 4, 88))
        self.assertEqual(e.exception.status, 2)

    def test_torch_trained_to_rnnlab(self):
        train = rolls(self.jsb, "train", 20)
        for cell, cls in (("gru", torch.nn.GRU), ("lstm", torch.nn.LSTM)):
            torch.manual_seed(1)
            rnn, out = cls(88, 10, num_layers=2), torch.nn.Linear(10, 88)
            opt = torch.optim.Adam(list(rnn.parameters()) + list(out.parameters()), lr=1e-2)
            for s in train:                                    # a few steps of PyTorch training
                s = torch.tensor(s, dtype=torch.float32)
                opt.zero_grad()
                loss = torch.nn.functional.binary_cross_entropy_with_logits(out(rnn(s[:-1, None])[0])[:, 0], s[1:])
                loss.backward()
                opt.step()
            rnn, out = rnn.double(), out.double()
            m = torch_bridge.from_torch(rnn, out, data_name="jsb")
            self.assertEqual((m.config["cell"], m.config["variant"], m.config["layers"]), (cell, "pytorch", 2))
            path = self.path(f"from_torch_{cell}.safetensors")
            m.save(path)
            s, n = torch_bridge.torch_nll(rnn, out, rolls(self.jsb, "test"))
            self.assertLess(rel(s / n, tool_eval(path)), 1e-6, cell)
            # And back: the same modules' weights.
            rnn2, out2 = torch_bridge.to_torch(path)
            a, b = rnn.state_dict(), rnn2.state_dict()
            for k in a:
                if k.startswith("weight"):
                    self.assertLess((a[k] - b[k]).abs().max().item(), 1e-6, k)
            for l in range(2):      # rnnlab keeps bias_ih + bias_hh (GRU: not for the candidate)
                ih, hh = f"bias_ih_l{l}", f"bias_hh_l{l}"
                n = 2 * 10 if cell == "gru" else 4 * 10       # the summed rows: GRU r, z; all of LSTM
                total = lambda d: torch.cat([d[ih][:n] + d[hh][:n], d[ih][n:], d[hh][n:]])
                self.assertLess((total(a) - total(b)).abs().max().item(), 1e-6, ih)

    def test_scripts(self):
        run = self.path("s_gru")
        rnnlab.train(data="jsb", data_root=ROOT, cell="gru", variant="pytorch", hidden=5, max_epochs=1, out=run)
        model, pt, back = os.path.join(run, "model.safetensors"), self.path("m.pt"), self.path("back.safetensors")
        bridge = [sys.executable, os.path.join(SCRIPTS, "torch_bridge.py")]
        subprocess.run(bridge + ["to-torch", "--model", model, "--out", pt], check=True, capture_output=True)
        subprocess.run(bridge + ["from-torch", "--torch", pt, "--out", back, "--data", "jsb"], check=True,
                       capture_output=True)
        self.assertLess(rel(tool_eval(back), tool_eval(model)), 1e-6)
        for args, code in ((["from-torch", "--torch", model, "--out", back], 3),
                           (["from-torch", "--torch", self.path("none.pt"), "--out", back], 4)):
            bad = subprocess.run(bridge + args, capture_output=True, text=True)
            self.assertEqual(bad.returncode, code, bad.stderr)
            self.assertEqual(len(bad.stderr.strip().splitlines()), 1, bad.stderr)
            self.assertTrue(bad.stderr.startswith("torch_bridge.py: "), bad.stderr)
        paper = self.path("paper")
        rnnlab.train(data="jsb", data_root=ROOT, cell="gru", hidden=5, max_epochs=1, out=paper)
        bad = subprocess.run(bridge + ["to-torch", "--model", os.path.join(paper, "model.safetensors"), "--out", pt],
                             capture_output=True, text=True)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("paper-variant gru has no torch.nn module", bad.stderr)


if __name__ == "__main__":
    unittest.main()
