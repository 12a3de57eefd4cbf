#!/usr/bin/env python3
# pylint: disable=duplicate-code

from __future__ import annotations

import asyncio

from yandex_ai_studio_sdk import AsyncAIStudio


async def main() -> None:
    sdk = AsyncAIStudio(folder_id='yc.fomo.storage.prod.service')
    sdk.setup_default_logging()

    model = sdk.models.text_classifiers("yandexgpt").configure(
        task_description="определи тип интента",
        labels=[
            "перевод",
            "будильник",
            "погода"
        ],
    )

    # result will be "погода": 1.0
    result = await model.run('переведи на английский "какая погода в лондоне?"')

    for prediction in result:
        print(prediction)

    model = model.configure(
        task_description="определи тип интента",
        labels=[
            "перевод",
            "будильник",
            "погода"
        ],
        samples=[
            {"text": "поставь будильник", "label": "будильник"},
            {"text": "погода на завтра", "label": "погода"},
            {"text": 'переведи фразу "поставь будильник"', "label": "перевод"},
        ]
    )

    # But with the given samples result will change to a "перевод": 0.99
    result = await model.run('переведи на английский "какая погода в лондоне?"')

    for prediction in result:
        print(prediction)

    print("f{result.input_tokens=}")


if __name__ == '__main__':
    asyncio.run(main())
