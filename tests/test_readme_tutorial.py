"""The README's tutorial runs as written: its bash block, then its Python block."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def tutorial_blocks():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Tutorial", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, re.S), re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_tutorial_runs_as_written(tmp_path):
    bash, python = tutorial_blocks()
    assert len(bash) == 1 and len(python) == 1
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    outputs = []
    for line in bash[0].splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        argv = shlex.split(line)
        assert argv[0] == "xmodal", line
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout)
    assert (tmp_path / "photos-model" / "model.json").is_file() and (tmp_path / "hits.png").stat().st_size > 0
    assert "added 12 images" in "".join(outputs)
    done = subprocess.run([sys.executable, "-c", python[0]], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 4 and [line.split()[0] for line in lines[:3]] == ["1", "2", "3"]
    assert all((tmp_path / line.split()[2]).is_file() for line in lines[:3])  # captioned or added images
