"""The WeChat channel package: the adapter (wechatpy), API calls, request checks, menu, sending, settings, limits."""
