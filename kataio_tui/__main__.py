from kataio_tui.cli import main

raise SystemExit(main())
