from vidsynth.cli import run

run()
