"""campaign-bot: a chatbot for the cadres of the 创先争优 campaign."""
