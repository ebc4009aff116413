from gepkit.cli import main

main()
