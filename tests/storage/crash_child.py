"""Commits numbered transactions to a store until killed; prints each number once committed.

Run as ``python crash_child.py PATH START``. Transaction ``i`` creates thread ``t{i}``
with ``MESSAGES`` messages and sets resource ``r``'s working memory to ``{"last": i}``.
"""

from __future__ import annotations

import asyncio
import sys

from mastra.storage import Message, SQLiteStorage

MESSAGES = 5


async def main(path: str, start: int) -> None:
    async with SQLiteStorage(path) as store:
        i = start
        while True:
            async with store.transaction():
                await store.create_thread(resource_id="r", id=f"t{i}")
                await store.save_messages(
                    [
                        Message(
                            f"t{i}.m{j}", f"t{i}", "user", [{"type": "text", "text": "x" * 200}]
                        )
                        for j in range(MESSAGES)
                    ]
                )
                await store.update_resource("r", working_memory={"last": i})
            sys.stdout.write(f"{i}\n")
            sys.stdout.flush()
            i += 1


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
